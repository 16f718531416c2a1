"""The measured steps of `make bench`, one function each, a module per subject.

`bench.harness.measure` runs a step as ``python -m bench.steps.<module> <step> '<JSON arguments>'``
in a fresh process; the module's last line hands its steps to `bench.harness.run_step`, which
times the step and prints its figures. The library is imported inside each step, not at the top
of the module: importing it (pandas, MLflow: seconds) is part of what a step costs, and is timed.
"""
