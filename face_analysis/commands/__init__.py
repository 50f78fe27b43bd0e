"""The `face-analysis` command line, one module per subcommand (image, video, record, play,
evaluate, demo, anonymize, verify, people), each with `add(subparsers, common)` and
`run(args) -> exit code`; `options` holds the model/detector/tracking options they share. Only
this package parses arguments: the library modules it calls take plain values.
face_analysis/cli.py assembles the parser.

Importable without ROS: `play` and `demo` load rclpy only when they run."""
