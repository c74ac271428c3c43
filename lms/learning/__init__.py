"""Courses, modules, lessons, progress, time on task and 学时."""
