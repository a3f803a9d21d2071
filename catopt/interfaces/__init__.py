"""User interfaces: command line, drawings, plots and spec files."""
