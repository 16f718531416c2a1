"""The placement-success model, registered as ``placement-success``: who, among the eligible
candidates for a post, is likely to do well in it."""
