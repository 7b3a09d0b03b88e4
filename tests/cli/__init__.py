"""Tests of the svcgen command line, through the real CLI."""
