"""``receptorkin models`` and ``receptorkin models show ID``."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list the bundled models, or show one", description="List the bundled receptor models; 'models show ID' prints one in full.")
    p.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    p.add_argument("id", nargs="?", metavar="ID", help="model id (bundled) or path, with 'show'")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import ReceptorkinError
    from ..report import describe_model, model_table

    if args.action == "show":
        if not args.id:
            raise ReceptorkinError("models show: give a model id, e.g. 'receptorkin models show trafficking'")
        print(describe_model(args.id))
    else:
        print(model_table())
    return 0
