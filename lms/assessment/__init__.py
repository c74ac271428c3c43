"""Question bank (versioned), quizzes, attempts and grading."""
