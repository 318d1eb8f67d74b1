from hubtokens.cli.main import main

raise SystemExit(main())
