"""`wenyang-studio [PROJECT] [--selftest] [--model DIR]`: start the studio.

Imports stay light until the window exists (torch is loaded later, on the engine thread), so
the first frame can appear quickly.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from designer_app import startup_trace

T_START = startup_trace.PROCESS_START
startup_trace.mark("main_imported")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="wenyang-studio", description="Wenyang Studio (纹样工作室): pattern design desktop app"
    )
    p.add_argument("project", nargs="?", help="a .wenyang project to open")
    p.add_argument(
        "--model",
        metavar="DIR",
        help="generator folder (safetensors + config.json); default: the shipped "
        "model, $WENYANG_GENERATOR_DIR or the folder chosen in Settings",
    )
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), help="override the device setting")
    p.add_argument(
        "--selftest",
        action="store_true",
        help="open the window (offscreen without a display), generate, drag every "
        "slider, undo/redo, save/reopen; print one JSON report; exit 1 on failure",
    )
    p.add_argument(
        "--random-model",
        nargs="?",
        const="tiny",
        metavar="PRESET",
        help="with --selftest: build a random-weight generator of a training preset (tiny, "
        "cpu128, cpu256; default tiny) in a temporary folder and use it, for builds that "
        "ship no generator",
    )
    p.add_argument(
        "--out", metavar="DIR", help="with --selftest: also write the report and screenshots there"
    )
    p.add_argument("--model-note", help=argparse.SUPPRESS)  # set by --random-model's parent
    return p


def preload_engine() -> None:
    """Start importing torch and the renderer on a background thread at once.

    Importing torch takes ~2 s here and is on the first frame's critical path: started now,
    it overlaps with Qt start-up and window construction; the engine thread's own import then
    finds the modules loaded (or waits for this import to finish)."""
    import threading

    def work() -> None:
        try:
            import engine.stylegan.render  # noqa: F401  (torch: never used on the GUI thread)
        except Exception:
            return  # the engine thread reports a missing engine properly
        startup_trace.mark("torch_imported")

    threading.Thread(target=work, name="wenyang-preload", daemon=True).start()


def reserve_gui_core() -> None:
    """Leave one CPU core to the GUI thread: torch (loaded later on the engine thread) reads
    OMP_NUM_THREADS when it starts. On a 2-core laptop, two intra-op threads fighting the GUI
    thread for both cores made frames slower, not faster. WENYANG_RENDER_THREADS overrides."""
    n = os.environ.get("WENYANG_RENDER_THREADS") or str(max(1, (os.cpu_count() or 2) - 1))
    if "OMP_NUM_THREADS" not in os.environ or os.environ.get("WENYANG_RENDER_THREADS"):
        os.environ["OMP_NUM_THREADS"] = n
        os.environ.setdefault("MKL_NUM_THREADS", n)


def install_excepthook(win: object) -> None:
    """An unexpected error in a slot becomes a notification; the window and design stay."""
    import traceback

    previous = sys.excepthook

    def hook(kind: type[BaseException], exc: BaseException, tb: object) -> None:
        traceback.print_exception(kind, exc, tb)  # type: ignore[arg-type]
        if not issubclass(kind, Exception):
            previous(kind, exc, tb)  # type: ignore[arg-type]
            return
        try:
            win.show_message(
                "error",
                f"Something went wrong: {exc}. Your design is "  # type: ignore[attr-defined]
                "still open; please save it and report the problem.",
            )
        except Exception:
            previous(kind, exc, tb)  # type: ignore[arg-type]

    sys.excepthook = hook


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from designer_app import first_frame

    if argv[:1] == [first_frame.HELPER_FLAG]:  # the bundled app as its own helper process
        return first_frame.child_main()
    args = build_parser().parse_args(argv)
    reserve_gui_core()
    if args.selftest and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.selftest and args.random_model and not args.model:
        from designer_app.selftest import run_with_random_model

        return run_with_random_model(args)
    first_frame.start()  # the opening frame renders on the other core (first_frame.py)
    preload_engine()
    if args.selftest:
        from designer_app.selftest import run_selftest

        return run_selftest(args, T_START)

    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from designer_app.main_window import MainWindow
    from designer_app.settings import StudioSettings

    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Wenyang Studio")
    app.setOrganizationName("Wenyang")
    app.setApplicationDisplayName("Wenyang Studio 纹样工作室")
    settings = StudioSettings()
    win = MainWindow(settings, model_dir=args.model, device=args.device)
    install_excepthook(win)
    win.show()
    if args.project:
        QTimer.singleShot(0, lambda: win.open_path(Path(args.project), ask=False))
    else:
        QTimer.singleShot(0, win.offer_recovery)
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
