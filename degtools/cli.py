"""``degtools report``: papermill + nbconvert in one step (also ``python -m degtools``)."""

from __future__ import annotations

import argparse
import sys

from degtools import processes
from degtools.errors import DegtoolsError, ParamsError, ReportError, ReportInputError
from degtools.params import load_params_file


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="degtools", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="render one HTML report (and its JSON) from a DE table")
    report.add_argument("-f", "--params-file", help="YAML file of notebook parameters (see params/)")
    report.add_argument("--input", dest="input_table", help="DE results table (default: the bundled demo)")
    report.add_argument("--target", help="column to predict, e.g. logFC or B")
    report.add_argument("--out", default="reports", help="output folder (default: reports/)")
    report.add_argument("--with-code", action="store_true", help="show the code open (it is always in the report, folded)")
    report.add_argument("-p", "--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="any other notebook parameter, e.g. -p cv_folds 10")
    report.add_argument("-q", "--quiet", action="store_true", help="print nothing unless something fails")
    inspect = commands.add_parser("inspect", help="read a DE table and print what was detected (no report)")
    inspect.add_argument("path", help="DE results table (.csv/.tsv/.txt, .gz/.bz2/.xz/.zip, .xlsx)")
    inspect.add_argument("--column-map", default="", help="map headers by hand: 'HEADER:canonical, ...'")
    inspect.add_argument("--sheet", default="", help="sheet of an .xlsx workbook")
    inspect.add_argument("--collapse", action="store_true", help="keep one row per gene (largest |statistic|)")
    inspect.add_argument("--id-map", default="", help="two-column file (ID, symbol) for tables with IDs only")
    inspect.add_argument("--cluster", default="", help="Seurat FindAllMarkers: keep this cluster only")
    inspect.add_argument("--contrast", default="", help="a file with several contrasts: the one to read")
    inspect.add_argument("--json", action="store_true", help="print the record as JSON")
    batch = commands.add_parser("batch", help="render many reports in parallel, skipping unchanged ones")
    batch.add_argument("paths", nargs="+", help="params files, or folders of them (e.g. params/)")
    batch.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: the cores)")
    batch.add_argument("--force", action="store_true", help="render every report, changed or not")
    batch.add_argument("--out", default="reports", help="output folder (default: reports/)")
    batch.add_argument("--with-code", action="store_true", help="show the code open (it is always in the report, folded)")
    batch.add_argument("--no-index", dest="index", action="store_false", help="do not rebuild index.html")
    batch.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                       help="fail a report that takes longer, stopping its kernel (default: no limit)")
    batch.add_argument("-q", "--quiet", action="store_true", help="print nothing unless something fails")
    index = commands.add_parser("index", help="rebuild index.html from the report JSON files of a folder")
    index.add_argument("folder", nargs="?", default="reports",
                       help="folder of the reports (default: reports/)")
    commands.add_parser("notebook-path", help="print the path of the analysis notebook (to run it with papermill)")
    render = commands.add_parser("render", help="turn a notebook executed with papermill into the HTML report")
    render.add_argument("notebook", help="the executed notebook (papermill's output .ipynb)")
    render.add_argument("--out", default=None, help="HTML file to write (default: the notebook's name, .html)")
    render.add_argument("--with-code", action="store_true", help="keep the code cells (for teaching)")
    return parser


def _inspect(args: argparse.Namespace) -> int:
    import json

    from degtools.io import read_de_table

    table = read_de_table(args.path, column_map=args.column_map, sheet=args.sheet, collapse=args.collapse,
                          id_map=args.id_map, cluster=args.cluster, contrast=args.contrast,
                          column_map_option="--column-map")
    print(json.dumps(table.record(), indent=2) if args.json else table.format_record())
    return 0


def _input_option(args: argparse.Namespace) -> str:
    """How the user gave the input table: the option to name in a message about it."""
    if args.input_table is not None:
        return "--input"
    if any(name == "input_table" for name, _ in args.param):
        return "-p input_table"
    return f"input_table in {args.params_file}"


def _report(args: argparse.Namespace) -> int:
    import time

    from degtools.io import resolve_input_path
    from degtools.render import render_report

    values = load_params_file(args.params_file) if args.params_file else {}
    for name, value in args.param:
        values[name] = value
    if args.input_table is not None:
        values["input_table"] = args.input_table
    if args.target is not None:
        values["target"] = args.target
    # a missing table is named as the user gave it, before a kernel starts
    resolve_input_path(values.get("input_table"), option=_input_option(args))
    start = time.perf_counter()
    progress = None if args.quiet else (lambda line: print(line, flush=True))
    try:
        with processes.sigterm_as_interrupt():  # a kill still removes the work folder and stops the kernel
            html_path, json_path = render_report(values, out_dir=args.out, with_code=args.with_code,
                                                 progress=progress)
    except OSError as error:
        from degtools.output_folder import is_write_error, unwritable_folder_error

        if is_write_error(error):  # read-only or full output folder: one line, status 2
            raise unwritable_folder_error(error, args.out) from None
        raise
    if not args.quiet:
        print(f"wrote {html_path} and {json_path.name} in {time.perf_counter() - start:.1f} s")
    return 0


def _render(args: argparse.Namespace) -> int:
    from pathlib import Path

    from degtools.errors import InputError
    from degtools.render import export_executed

    notebook = Path(args.notebook)
    if not notebook.is_file():
        raise InputError(f"notebook {args.notebook!r} does not exist; pass the .ipynb papermill wrote "
                         "(papermill \"$(degtools notebook-path)\" out.ipynb -p target logFC).")
    html_path = Path(args.out) if args.out else notebook.with_suffix(".html")
    export_executed(notebook, html_path, with_code=args.with_code)
    print(f"wrote {html_path}")
    return 0


def _notebook_path(args: argparse.Namespace) -> int:
    from degtools.render import DEFAULT_NOTEBOOK

    print(DEFAULT_NOTEBOOK)
    return 0


def _batch(args: argparse.Namespace) -> int:
    from degtools.batch import main_batch

    if args.jobs is not None and args.jobs < 1:
        raise ParamsError(f"--jobs must be at least 1; got {args.jobs}.")
    if args.timeout is not None and not args.timeout > 0:
        raise ParamsError(f"--timeout must be a positive number of seconds; got {args.timeout:g}.")
    return main_batch(args.paths, out_dir=args.out, jobs=args.jobs, force=args.force,
                      with_code=args.with_code, index=args.index, timeout=args.timeout, quiet=args.quiet)


def _index(args: argparse.Namespace) -> int:
    from degtools.index import write_index

    print(f"wrote {write_index(args.folder)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``degtools`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "report":
            return _report(args)
        if args.command == "inspect":
            return _inspect(args)
        if args.command == "batch":
            return _batch(args)
        if args.command == "index":
            return _index(args)
        if args.command == "render":
            return _render(args)
        if args.command == "notebook-path":
            return _notebook_path(args)
    except ReportError as error:
        print(f"degtools: error: {error}", file=sys.stderr)
        if error.notebook is not None:
            print(f"degtools: the failed notebook is kept at {error.notebook}", file=sys.stderr)
        return 2 if isinstance(error, ReportInputError) else 1
    except DegtoolsError as error:  # InputError, ParamsError: the user's input
        print(f"degtools: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        import logging

        # the interrupted notebook client leaves a cell task behind; asyncio would print its traceback at exit
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        written = "; nothing was written, an earlier report is untouched" if args.command == "report" else ""
        print(f"degtools: stopped (Ctrl-C or SIGTERM){written}", file=sys.stderr)
        return 130
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
