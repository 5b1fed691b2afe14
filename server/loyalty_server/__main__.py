from loyalty_server.cli import main

raise SystemExit(main())
