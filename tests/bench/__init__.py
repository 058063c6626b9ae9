"""The federal-scale benchmark (issue #7): workload writer, runner, floor, service load."""
