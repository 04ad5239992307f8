import subprocess
import sys


def test_help_lists_commands():
    out = subprocess.run([sys.executable, "-m", "medzen_harness", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "nightly" in out.stdout


def test_unknown_command_is_usage_error():
    out = subprocess.run([sys.executable, "-m", "medzen_harness", "explode"], capture_output=True, text=True)
    assert out.returncode == 2
