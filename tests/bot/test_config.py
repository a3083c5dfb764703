"""A bad config fails with one clear line naming the file and the key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ConfigError, load, parse
from tests.harness import BASE_CONFIG, make_config

P = Path("/srv/bot/config.toml")


def test_example_config_is_valid() -> None:
    example = Path(__file__).parents[2] / "config.example.toml"
    text = example.read_text().replace('password = ""', 'password = "x"', 1)
    config = parse(text, example, env={})
    assert config.defaults.command_prefix == "!"
    assert str(config.defaults.timezone) == "Europe/Berlin"
    assert config.defaults.schedule["rotation"] == "0 10 * * MON"
    assert config.may_invite("@alice:example.org")
    assert config.may_invite("@zoe:example.org")
    assert not config.may_invite("@zoe:evil.org")
    assert config.defaults.max_term == "3m"


def test_relative_paths_follow_the_config_file() -> None:
    config = parse(BASE_CONFIG, P, env={})
    assert config.matrix.store_path == Path("/srv/bot/store")
    assert config.database_url == "sqlite+aiosqlite:////srv/bot/flattening.db"


def test_secrets_from_environment() -> None:
    text = BASE_CONFIG.replace('password = "secret"', "")
    with pytest.raises(ConfigError, match="password or access_token is missing"):
        parse(text, P, env={})
    config = parse(text, P, env={"FLATTENING_ACCESS_TOKEN": "tok"})
    assert config.matrix.access_token == "tok"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("[matrix]", "[matrx]"), "unknown section [matrx]"),
        (('homeserver = "https://test.org"', ""), "[matrix] homeserver is missing"),
        (('homeserver = "https://test.org"', 'homeserver = "test.org"'), "homeserver = 'test.org'"),
        (('user_id = "@flattening:test.org"', 'user_id = "flattening"'), "[matrix] user_id"),
        (('timezone = "Europe/Berlin"', 'timezone = "Mars/Olympus"'), "not a known time zone"),
        (('timezone = "Europe/Berlin"', "timezone = 3"), "timezone must be a str"),
        (("[bot]", "[bot]\ncolour = 1"), "[bot] has unknown key 'colour'"),
        (('allowed_inviters = ["', 'allowed_inviters = ["alice", "'), "allowed_inviters"),
    ],
)
def test_errors_name_the_key_and_file(change: tuple[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse(BASE_CONFIG.replace(*change), P, env={})
    assert message in str(err.value)
    assert str(P) in str(err.value)


def test_bad_values_in_other_sections() -> None:
    cases = {
        '[schedule]\nrotation = "every monday"': "rotation",
        '[roles]\nterm = "a week"': "term",
        '[decisions]\nrule = "dictator"': "consent, majority, unanimity",
        '[rituals]\nreflection_min_answers = "three"': "must be a int",
        '[storage]\ndatabase_url = "mysql://x"': "unsupported database driver",
        "[labour]\ninvisible = [1, 2]": "list of strings",
        '[collectives."general".schedule]\nrotation = "0 9 * * TUE"': "room id",
        '[collectives."!r:x.org".matrix]\nuser_id = "@x:y"': "cannot be set per collective",
    }
    for extra, message in cases.items():
        with pytest.raises(ConfigError, match=None) as err:
            parse(BASE_CONFIG + "\n" + extra + "\n", P, env={})
        assert message in str(err.value), (extra, str(err.value))


def test_per_collective_override_merges_over_defaults() -> None:
    text = BASE_CONFIG + '\n[collectives."!r:x.org".schedule]\nrotation = "0 9 * * TUE"\n'
    config = parse(text, P, env={})
    room = config.for_room("!r:x.org")
    assert room.schedule["rotation"] == "0 9 * * TUE"
    assert room.schedule["powermap"] == "0 18 1 * *"
    assert str(room.timezone) == "Europe/Berlin"
    assert config.for_room("!other:x.org").schedule["rotation"] == "0 10 * * MON"


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "c.toml"
    bad.write_text("[matrix\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(bad)
    with pytest.raises(ConfigError, match="no such file"):
        load(tmp_path / "absent.toml")


def test_check_config_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "config.toml"
    good.write_text(BASE_CONFIG)
    assert main(["check-config", "--config", str(good)]) == 0
    assert "valid" in capsys.readouterr().out
    good.write_text(BASE_CONFIG.replace("[bot]", "[bot]\nprefix = '!'"))
    assert main(["check-config", "-c", str(good)]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'prefix'" in err and "Traceback" not in err


def test_unreachable_database_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        BASE_CONFIG.replace(
            "[bot]",
            '[storage]\ndatabase_url = "postgresql+asyncpg://nobody@127.0.0.1:1/none"\n\n[bot]',
        )
    )
    assert main(["run", "-c", str(config)]) == 1
    err = capsys.readouterr().err
    assert "cannot open or upgrade the database" in err and "Traceback" not in err


def test_database_passwords_never_appear_in_errors() -> None:
    for url in ("mysql://u:hunter2@h/db", "postgresql+asyncpg://u:hunter2@h:notaport/db"):
        text = BASE_CONFIG + f'\n[storage]\ndatabase_url = "{url}"\n'
        with pytest.raises(ConfigError) as err:
            parse(text, P, env={})
        assert "hunter2" not in str(err.value)
        assert "database_url" in str(err.value)


def test_odd_files_and_zones_are_clear_errors(tmp_path: Path) -> None:
    latin = tmp_path / "latin.toml"
    latin.write_bytes(BASE_CONFIG.replace("secret", "s\xe9cret").encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load(latin)
    with pytest.raises(ConfigError, match="not a known time zone"):
        parse(BASE_CONFIG.replace('"Europe/Berlin"', '"Europe"'), P, env={})


@pytest.mark.parametrize(
    ("roles", "key"),
    [
        ('term = "0w"', "term = '0w'"),
        ('term = "1W "', None),
        ('fairness_window = "10000d"', "fairness_window = '10000d'"),
        ('fairness_window = "0m"', "fairness_window = '0m'"),
        ('max_term = "2 weeks"', "max_term = '2 weeks'"),
        ('max_term = "-1m"', "max_term = '-1m'"),
    ],
)
def test_durations_are_read_by_the_commands_own_parser(roles: str, key: str | None) -> None:
    """check-config accepts exactly the durations the commands accept (1 to 9999 d/w/m/y)."""
    text = BASE_CONFIG + f"\n[roles]\n{roles}\n"
    if key is None:
        assert parse(text, P, env={}).defaults.role_term == "1w"
        return
    with pytest.raises(ConfigError) as err:
        parse(text, P, env={})
    message = str(err.value)
    assert message.startswith(f"{P}: [roles] {key} ")
    assert "1 to 9999" in message and "\n" not in message


def test_a_term_longer_than_max_term_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        parse(BASE_CONFIG + '\n[roles]\nterm = "4m"\n', P, env={})
    assert str(err.value) == (
        f"{P}: [roles] term = '4m' is longer than max_term = '3m' "
        "(raise max_term, or shorten the term)"
    )
    with pytest.raises(ConfigError, match="longer than max_term = '1m'"):
        parse(BASE_CONFIG + '\n[roles]\nterm = "31d"\nmax_term = "1m"\n', P, env={})
    config = parse(BASE_CONFIG + '\n[roles]\nterm = "4m"\nmax_term = "1y"\n', P, env={})
    assert (config.defaults.role_term, config.defaults.max_term) == ("4m", "1y")
    assert parse(BASE_CONFIG, P, env={}).defaults.max_term == "3m"


def test_max_term_holds_per_collective_too() -> None:
    room = '[collectives."!r:x.org".roles]'
    with pytest.raises(ConfigError) as err:
        parse(BASE_CONFIG + f'\n{room}\nterm = "6m"\n', P, env={})
    assert "[collectives.\"!r:x.org\".roles] term = '6m' is longer than max_term" in str(err.value)
    config = parse(BASE_CONFIG + f'\n{room}\nterm = "6m"\nmax_term = "6m"\n', P, env={})
    assert config.for_room("!r:x.org").max_term == "6m"
    assert config.defaults.max_term == "3m"


def test_check_config_names_a_bad_duration_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(BASE_CONFIG + '\n[roles]\nterm = "0w"\n')
    assert main(["check-config", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "[roles] term = '0w'" in err and "Traceback" not in err


def test_allowed_inviters_cannot_be_set_per_collective(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It used to be accepted and ignored: an invitation comes before its collective exists."""
    extra = '\n[collectives."!r:x.org".bot]\nallowed_inviters = ["@mallory:evil.org"]\n'
    with pytest.raises(ConfigError) as err:
        parse(BASE_CONFIG + extra, P, env={})
    assert str(err.value).startswith(
        f'{P}: [collectives."!r:x.org".bot] allowed_inviters cannot be set per collective'
    )
    config = tmp_path / "config.toml"
    config.write_text(BASE_CONFIG + extra)
    assert main(["check-config", "-c", str(config)]) == 2
    err_text = capsys.readouterr().err
    assert len(err_text.strip().splitlines()) == 1 and "[bot] allowed_inviters" in err_text
    # The rest of [bot] still can be.
    ok = parse(BASE_CONFIG + '\n[collectives."!r:x.org".bot]\ncommand_prefix = "?"\n', P, env={})
    assert ok.for_room("!r:x.org").command_prefix == "?"


def test_bots_must_be_user_ids_and_gallery_may_be_off() -> None:
    from tests.harness import make_config

    assert make_config('bots = ["@r:x.org"]\n').for_room("!a:x").bots == ("@r:x.org",)
    assert make_config().for_room("!a:x").schedule["gallery"] == ""
    with pytest.raises(ConfigError, match="not a user id"):
        make_config('bots = ["reminders"]\n')
    with pytest.raises(ConfigError, match="5 fields"):
        make_config('[schedule]\ngallery = "every day"\n')


def test_day_counts_are_bounded() -> None:
    from tests.harness import make_config

    with pytest.raises(ConfigError, match="from 1 to 366 days"):
        make_config("[decisions]\nopen_days = 100000000\n")
    with pytest.raises(ConfigError, match="from 1 to 366 days"):
        make_config("[decisions]\nopen_days = 0\n")
    assert make_config("[rituals]\nentry_sprint_days = 0\n").for_room("!a:x").entry_sprint_days == 0


@pytest.mark.parametrize("where", ["[rituals]", '[collectives."!r:x.org".rituals]'])
def test_fewer_than_three_reflection_answers_are_refused(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With one or two answers, who wrote what can be guessed: not anonymous."""
    for value in (0, 1, 2):
        extra = f"\n{where}\nreflection_min_answers = {value}\n"
        with pytest.raises(ConfigError) as err:
            parse(BASE_CONFIG + extra, P, env={})
        assert f"{where} reflection_min_answers = {value} must be at least 3" in str(err.value)
        assert "could guess who wrote what" in str(err.value)
        config = tmp_path / "config.toml"
        config.write_text(BASE_CONFIG + extra)
        assert main(["check-config", "-c", str(config)]) == 2
        err_text = capsys.readouterr().err
        assert len(err_text.strip().splitlines()) == 1 and "at least 3" in err_text
    ok = parse(BASE_CONFIG + f"\n{where}\nreflection_min_answers = 3\n", P, env={})
    assert ok.for_room("!r:x.org").reflection_min_answers == 3


@pytest.mark.parametrize("where", ["[budget]", '[collectives."!r:x.org".budget]'])
def test_a_currency_longer_than_sixteen_characters_is_refused(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long = "hours of solidarity"  # 19 characters
    extra = f'\n{where}\ncurrency = "{long}"\n'
    with pytest.raises(ConfigError) as err:
        parse(BASE_CONFIG + extra, P, env={})
    assert f"{where} currency = '{long}' is 19 characters long; at most 16" in str(err.value)
    config = tmp_path / "config.toml"
    config.write_text(BASE_CONFIG + extra)
    assert main(["check-config", "-c", str(config)]) == 2
    err_text = capsys.readouterr().err
    assert len(err_text.strip().splitlines()) == 1 and "at most 16" in err_text
    with pytest.raises(ConfigError, match="must name the currency"):
        parse(BASE_CONFIG + f'\n{where}\ncurrency = " "\n', P, env={})
    for fits in ("time credits", "x" * 16):
        ok = parse(BASE_CONFIG + f'\n{where}\ncurrency = "{fits}"\n', P, env={})
        assert ok.for_room("!r:x.org").currency == fits


def test_decision_quorum_reminder_and_answers_per_collective() -> None:
    config = make_config(
        '[decisions]\nquorum = 1\nremind_before = "30MIN"\nanswers = "Hidden"\n'
        '[collectives."!other:test.org".decisions]\nquorum = 0.25\nremind_before = "1d"\n'
    )
    here = config.for_room("!collective:test.org")
    assert (here.decision_quorum, here.decision_answers) == (1.0, "hidden")
    assert here.decision_remind_before == timedelta(minutes=30)
    other = config.for_room("!other:test.org")
    assert (other.decision_quorum, other.decision_answers) == (0.25, "hidden")
    assert other.decision_remind_before == timedelta(hours=24)
    default = make_config().for_room("!x:test.org")
    assert (default.decision_quorum, default.decision_answers) == (0.5, "open")
    assert default.decision_remind_before == timedelta(hours=24)
    for bad, words in (
        ("quorum = 1.5", "share of the members from 0 to 1"),
        ("quorum = -0.1", "share of the members from 0 to 1"),
        ('quorum = "half"', "must be a float"),
        ('remind_before = "1w"', "lead time like 30min, 24h or 1d"),
        ('remind_before = "90d"', "at most 60 days"),
        ('answers = "secret"', "must be one of open, hidden"),
    ):
        with pytest.raises(ConfigError, match=words):
            make_config(f"[decisions]\n{bad}\n")
