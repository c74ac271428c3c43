"""Cohorts (培训班): schedule, enrolment codes, invite links, rosters and trainers."""
