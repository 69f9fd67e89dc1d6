import pytest

from desktop_app import cli, config


def test_home_moves_every_folder(tmp_path):
    paths = config.app_paths({"DESKTOP_APP_HOME": str(tmp_path)})
    for folder in (paths.data_dir, paths.config_dir, paths.log_dir):
        assert tmp_path in folder.parents
    assert paths.db_path.parent == paths.data_dir


def test_data_center_table_is_complete():
    assert set(config.DATA_CENTERS) == {"US", "EU", "IN", "AU", "JP", "CA", "SA", "UK", "CN"}
    assert config.data_center("eu").books_base == "https://www.zohoapis.eu/books/v3"
    assert config.data_center("CA").accounts_url == "https://accounts.zohocloud.ca"
    assert config.data_center("US").campaigns_base == "https://campaigns.zoho.com/api/v1.1"
    assert config.data_center_for_accounts_server("https://accounts.zoho.in/").code == "IN"
    with pytest.raises(ValueError, match="Unknown data center"):
        config.data_center("XX")


def test_endpoint_overrides_env_beats_settings():
    env = {"DESKTOP_APP_BOOKS_URL": "http://127.0.0.1:9/books/v3/"}
    settings = {"books_url": "http://other/books/v3", "campaigns_url": "http://127.0.0.1:9/api/v1.1"}
    ep = config.resolve_endpoints("US", env, settings)
    assert ep.books == "http://127.0.0.1:9/books/v3"
    assert ep.campaigns == "http://127.0.0.1:9/api/v1.1"
    assert ep.accounts == "https://accounts.zoho.com"
    with pytest.raises(ValueError, match="must be an http"):
        config.resolve_endpoints("US", {"DESKTOP_APP_ACCOUNTS_URL": "ftp://x"})


def test_logging_writes_rotating_file(tmp_path):
    import logging

    paths = config.app_paths({"DESKTOP_APP_HOME": str(tmp_path)})
    log_file = config.setup_logging(paths)
    logging.getLogger("x").warning("hello log")
    for h in logging.getLogger().handlers:
        h.flush()
    assert "hello log" in log_file.read_text()
    for h in list(logging.getLogger().handlers):
        if getattr(h, "baseFilename", None) == str(log_file):
            logging.getLogger().removeHandler(h)
            h.close()


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for name in ("sandbox", "connect", "orgs", "lists", "topics", "fields", "sync", "schedule", "autostart",
                 "status", "history", "export-skipped", "disable", "--minimized"):
        assert name in out


def test_every_handler_path_is_reachable_from_the_parser():
    parser = cli.build_parser()
    samples = {
        "sandbox serve": ["sandbox", "serve"], "sandbox simulate": ["sandbox", "simulate", "--changes", "3"],
        "sandbox stats": ["sandbox", "stats"], "connect sandbox": ["connect", "sandbox"],
        "connect zoho": ["connect", "zoho", "--dc", "eu", "--client-id", "x"],
        "orgs": ["orgs"], "lists": ["lists"], "topics": ["topics"], "fields": ["fields"],
        "sync create": ["sync", "create", "--list", "L"], "sync edit": ["sync", "edit"],
        "sync run": ["sync", "run"], "sync pause": ["sync", "pause"], "sync resume": ["sync", "resume"],
        "status": ["status"], "history": ["history"], "export-skipped": ["export-skipped", "--out", "x.csv"],
        "disable": ["disable", "--yes"], "gui": [], "gui minimized": ["--minimized"],
        "schedule install": ["schedule", "install"], "schedule remove": ["schedule", "remove"],
        "schedule status": ["schedule", "status", "--json"], "autostart on": ["autostart", "on"],
        "autostart off": ["autostart", "off"], "autostart status": ["autostart", "status"],
    }
    assert set(samples) - {"gui minimized"} == set(cli.HANDLERS)
    for path, argv in samples.items():
        assert cli.command_path(parser.parse_args(argv)) == path.removesuffix(" minimized")


def test_issue_9_flags_and_the_needs_decision_exit_code():
    from desktop_app.cli import commands

    parser = cli.build_parser()
    args = parser.parse_args(["sync", "create", "--list", "L", "--gdpr", "on"])
    assert args.gdpr == "on" and not hasattr(args, "accept_double_opt_in")
    args = parser.parse_args(["sync", "edit", "--accept-double-opt-in"])
    assert args.accept_double_opt_in and args.gdpr is None and args.list_ is None
    with pytest.raises(SystemExit):
        parser.parse_args(["sync", "create", "--list", "L", "--gdpr", "maybe"])
    assert cli.EXIT_NEEDS_DECISION == 4
    assert commands.RUN_EXIT["needs_decision"] == cli.EXIT_NEEDS_DECISION
    assert len(set(commands.RUN_EXIT.values())) == len(commands.RUN_EXIT)  # one code per ending
