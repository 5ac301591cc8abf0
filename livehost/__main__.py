from livehost.cli import main

raise SystemExit(main())
