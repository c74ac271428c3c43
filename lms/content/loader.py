"""Placeholder replaced by the content loader."""


class CourseValidationError(Exception):
    def __init__(self, problems):
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def load_courses(path):
    return []
