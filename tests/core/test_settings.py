import pytest

from reviewer_app.core.settings import Settings, SettingsError, load_settings, save_settings

ISSUE_EXAMPLE = """
[channels]
roles = ["customer", "agent"]
[rules]
dead_air_min_s = 5.0
overtalk_min_s = 1.0
fast_speech_wpm = 200
fast_speech_cpm = 330
[lexicon]
forbidden = ["not my problem", "shut up", "闭嘴"]
greeting = ["thank you for calling", "how can i help", "您好"]
closing = ["have a nice day", "goodbye", "再见"]
"""


def test_the_documented_config_keys_work_as_written(tmp_path):
    path = tmp_path / "qa.toml"
    path.write_text(ISSUE_EXAMPLE, encoding="utf-8")
    s = load_settings(path)
    assert s.channels.roles == ["customer", "agent"]
    assert s.rules.fast_speech_wpm == 200.0 and isinstance(s.rules.fast_speech_wpm, float)
    assert s.lexicon.forbidden == ["not my problem", "shut up", "闭嘴"]
    assert s.lexicon.closing[-1] == "再见"
    assert s.rules.crosstalk_margin_db == Settings().rules.crosstalk_margin_db  # untouched default


@pytest.mark.parametrize(
    "text, message",
    [
        ("[rules]\ndead_air_min_sec = 3\n", "unknown key 'dead_air_min_sec'"),
        ("[rulez]\n", "unknown key 'rulez'"),
        ('[rules]\ndead_air_min_s = "long"\n', "rules.dead_air_min_s must be float"),
        ('[channels]\nroles = ["agent", "agent"]\n', "channels.roles"),
        ("[rules]\ndead_air_min_s = -1\n", "rules.dead_air_min_s = -1.0: must be a finite number ≥ 0.1"),
        ("[rules\n", "not valid TOML"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as err:
        load_settings(path)
    assert str(path) in str(err.value) and message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(SettingsError, match="settings file not found"):
        load_settings(tmp_path / "nope.toml")


def test_save_then_load_round_trips(tmp_path):
    s = Settings()
    s.rules.dead_air_min_s = 3.5
    s.lexicon.forbidden = ['say "no"', "闭嘴"]
    s.score.weights["dead_air"] = 7
    s.channels.roles = ["agent", "customer"]
    save_settings(s, tmp_path / "s.toml")
    assert load_settings(tmp_path / "s.toml") == s
    assert not list(tmp_path.glob("*.tmp"))


def test_setting_labels_carry_units():
    import dataclasses

    from reviewer_app.core.settings import Settings, setting_label

    assert setting_label("crosstalk_margin_db") == "Crosstalk margin (dB)"
    assert setting_label("dead_air_min_s") == "Dead air min. (s)"
    assert setting_label("low_level_dbfs") == "Low level (dBFS)"
    assert setting_label("fast_speech_wpm") == "Fast speech (words/min)"
    assert setting_label("fast_speech_syllables_per_s") == "Fast speech (syllables/s)"
    labels = [setting_label(f.name) for f in dataclasses.fields(Settings().rules)]
    assert all("_" not in label and label[0].isupper() for label in labels)
    assert len(set(labels)) == len(labels)
