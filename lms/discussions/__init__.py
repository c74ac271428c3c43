"""研讨与答疑: a thread per module and per case lesson, in each cohort."""
