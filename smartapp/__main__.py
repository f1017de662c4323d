"""`python -m smartapp serve|keys|sandbox`: the same commands as `functionfirst`."""

from __future__ import annotations

from smartapp.cli import main

raise SystemExit(main())
