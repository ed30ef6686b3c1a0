"""How the host starts a stage:  python -m goldfish.io.bootstrap modules.<stage> [args...]

Runs the stage module as `__main__` (runpy), then finalises exactly once: flush the
metrics and write a final heartbeat. The exit code is the stage's own (0, its
sys.exit code, 1 with the traceback on stderr for an exception); finalisation never
hides the stage's error, and only turns a successful run into exit 1 if the metrics
could not be written, because then the run's record would be silently incomplete.
"""

from __future__ import annotations

import importlib.util
import os
import runpy
import signal
import sys
import threading

from goldfish.io import _heartbeat, _metrics
from goldfish.io._context import GoldfishIOError

USAGE = "usage: python -m goldfish.io.bootstrap modules.<stage> [args...]"
SIGTERM_EXIT = 128 + signal.SIGTERM

_finalized = False
_finalize_lock = threading.Lock()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0].startswith("-"):
        print(USAGE, file=sys.stderr)
        return 2
    sys.argv = [args[0], *args[1:]]  # the stage sees its own args; runpy sets argv[0]
    return run_module(args[0])


def run_module(module: str) -> int:
    """Run `module` as __main__, finalise, and return the process exit code."""
    _stop_cleanly_on_sigterm()
    code = _run(module)
    if not finalize(code) and code == 0:
        return 1
    return code


def _run(module: str) -> int:
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        spec = None
    except BaseException as e:  # the stage's package __init__ failed
        _print_traceback(e)
        return 1
    if spec is None:
        expected = os.path.join(os.getcwd(), *module.split(".")) + ".py"
        print(f"goldfish: stage module {module!r} not found (expected {expected})", file=sys.stderr)
        return 1
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as e:
        return _exit_code(e)
    except KeyboardInterrupt as e:
        _print_traceback(e)
        return 130
    except BaseException as e:
        _print_traceback(e)
        return 1
    return 0


def _exit_code(e: SystemExit) -> int:
    # The same rules as the interpreter: None -> 0, an int as is, anything else printed -> 1.
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code
    print(e.code, file=sys.stderr)
    return 1


def _print_traceback(e: BaseException) -> None:
    import traceback  # only a failing stage needs it: not imported on every start

    # Start the traceback at the stage's code: runpy and bootstrap frames are noise to the user.
    tb = e.__traceback__
    skip = {os.path.abspath(__file__), os.path.abspath(runpy.__file__), "<frozen runpy>"}
    while tb is not None and _frame_file(tb.tb_frame.f_code.co_filename) in skip:
        tb = tb.tb_next
    traceback.print_exception(type(e), e, tb, file=sys.stderr)
    sys.stderr.flush()


def _frame_file(name: str) -> str:
    return name if name.startswith("<") else os.path.abspath(name)


def finalize(code: int) -> bool:
    """Flush metrics and write the final heartbeat, once. False if the metrics were lost."""
    global _finalized
    with _finalize_lock:
        if _finalized:
            return True
        _finalized = True
    ok = True
    try:
        _metrics.close_current()
    except GoldfishIOError as e:
        print(f"goldfish: metrics were not saved: {e}", file=sys.stderr)
        ok = False
    if os.environ.get("GOLDFISH_STAGE_CONFIG") is not None or os.environ.get("GOLDFISH_STAGE_CONFIG_FILE"):
        try:
            _heartbeat.heartbeat(f"stage finished (exit code {code})", force=True)
        except GoldfishIOError as e:
            print(f"goldfish: final heartbeat not written: {e}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    return ok


def _stop_cleanly_on_sigterm() -> None:
    """Cancel sends SIGTERM; turning it into SystemExit lets finally blocks and the
    metric flush run instead of the process vanishing mid-write."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


def _on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(SIGTERM_EXIT)


if __name__ == "__main__":
    sys.exit(main())
