"""mgmtgen: generates the typed mgmt codec (gen/) from BlueZ's mgmt
documentation.  parse (parse_txt / parse_rst) -> IR (ir) -> emit_cpp."""
