"""Spinning until `ros2 launch` (or Ctrl-C) stops the process: SIGINT/SIGTERM end it with exit
code 0 and no traceback, which launch reports as a clean finish.

rclpy's own handlers raise KeyboardInterrupt wherever the main thread happens to be; inside
rclpy's C++ message conversion that surfaces as another error ("Unable to convert call argument"
from take_message, seen under load in our launch tests), and the process exits 1. So while it
spins, the process takes the two signals itself: the handler only records the request, and the
loop ends at its next poll.

Tearing down can hang inside the middleware (once on Jazzy's Fast DDS 2.14 under load: a camera
process ignored SIGINT and SIGTERM until launch killed it 15 s later). A signal handler cannot
help there, as Python runs it only between bytecodes; faulthandler's watchdog thread needs no
interpreter, so from the stop request on it bounds the teardown: after TEARDOWN_S it prints
every thread's stack (where it hung) and exits with status 1, before launch escalates to SIGTERM
(5 s after SIGINT) and SIGKILL."""

from __future__ import annotations

import faulthandler
import signal
import sys
from collections.abc import Callable, Sequence

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.signals import uninstall_signal_handlers

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
POLL_S = 0.1  # how long a stop request may wait for the executor to return from waiting
TEARDOWN_S = 4.0  # from leaving the loop to exiting; launch's sigterm_timeout is 5 s


def spin_until_interrupted(nodes: Sequence, before_destroy: Callable | None = None) -> None:
    """Spin `nodes` in one executor until SIGINT/SIGTERM (or an external rclpy shutdown); on the
    way out call before_destroy(), destroy the nodes and shut rclpy down."""
    stop_requested: list[int] = []
    uninstall_signal_handlers()
    previous = {sig: signal.signal(sig, _recorder(stop_requested)) for sig in STOP_SIGNALS}
    executor = SingleThreadedExecutor()
    try:
        for node in nodes:
            executor.add_node(node)
        while not stop_requested and executor.context.ok():
            executor.spin_once(timeout_sec=POLL_S)
    except ExternalShutdownException:
        pass
    finally:
        faulthandler.dump_traceback_later(TEARDOWN_S, exit=True, file=sys.stderr)
        try:
            if before_destroy is not None:
                before_destroy()
            for node in nodes:
                node.destroy_node()
            executor.shutdown()
            rclpy.try_shutdown()
        finally:
            faulthandler.cancel_dump_traceback_later()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _recorder(requests: list) -> Callable:
    """A signal handler that only appends the signal number: safe wherever the main thread is."""
    return lambda signum, _frame: requests.append(signum)
