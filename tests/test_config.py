from pathlib import Path

import pytest

from casenotes.config import SynthConfig, load_config, validate_config
from casenotes.errors import ConfigError, ExitCode

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.mark.parametrize("name", ["synth.toml", "synth_biased.toml"])
def test_shipped_configs_validate(name):
    config = load_config(CONFIGS / name, SynthConfig)
    assert config.notes >= 1


def test_unknown_key_names_the_key_and_the_allowed_ones(tmp_path):
    path = tmp_path / "synth.toml"
    path.write_text("seed = 3\nnots = 10\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, SynthConfig)
    message = str(caught.value)
    assert "unknown key 'nots'" in message
    assert "notes" in message and "seed" in message
    assert str(path) in message
    assert caught.value.exit_code is ExitCode.BAD_CONFIG


def test_unknown_nested_key_lists_the_nested_allowed_keys():
    data = {"bias": {"under_recording": {"group": {"attribute": "sex", "value": "male"}, "rat": 1}}}
    with pytest.raises(ConfigError) as caught:
        validate_config(data, SynthConfig, "x.toml")
    message = str(caught.value)
    assert "unknown key 'bias.under_recording.rat'" in message
    assert "allowed keys here: group, rate" in message


@pytest.mark.parametrize(
    "data, fragment",
    [
        ({"notes": 0}, "notes"),
        ({"notes_per_case": [5, 2]}, "notes_per_case"),
        ({"outcome_label_noise": 0.9}, "outcome_label_noise"),
        (
            {
                "bias": {
                    "over_labelling": {"group": {"attribute": "shoe", "value": "x"}, "rate": 0.1}
                }
            },
            "attribute",
        ),
    ],
)
def test_bad_values_are_reported(data, fragment):
    with pytest.raises(ConfigError, match=fragment):
        validate_config(data, SynthConfig, "x.toml")


def test_invalid_toml_and_missing_file(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("seed = = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken, SynthConfig)
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "absent.toml", SynthConfig)
