"""The clinic's vocabulary and rules: goals, steps, reviews, measures. Standard library only."""
