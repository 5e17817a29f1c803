"""The ADD_ONION line: a per-circuit stream cap that closes the circuit, on both onions.

Tor's acceptance of the line is covered by every over-Tor test that publishes the onions.
"""

from __future__ import annotations

from onion_config.onion_keys import generate_service_key
from onion_config.publish import MAX_STREAMS_PER_CIRCUIT, add_onion_command


def fields(command: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in command.split(" ")[2:] if "=" in part)


def test_both_onions_cap_streams_per_circuit() -> None:
    key = generate_service_key()
    for command in (
        add_onion_command(key, 8080, pow_defences=True),
        add_onion_command(key, 8081, pow_defences=False, client_keys=["A" * 52]),
    ):
        parsed = fields(command)
        assert "MaxStreamsCloseCircuit" in parsed["Flags"].split(",")
        assert parsed["MaxStreams"] == str(MAX_STREAMS_PER_CIRCUIT)
        assert 8 <= MAX_STREAMS_PER_CIRCUIT <= 64
        assert parsed["Port"].split(",")[1].startswith("127.0.0.1:")


def test_client_auth_and_pow_are_kept() -> None:
    key = generate_service_key()
    reporter = fields(add_onion_command(key, 8080, pow_defences=True))
    investigator = add_onion_command(key, 8081, pow_defences=False, client_keys=["A" * 52])
    assert reporter["PoWDefensesEnabled"] == "1"
    assert "V3Auth" in fields(investigator)["Flags"] and "ClientAuthV3=" + "A" * 52 in investigator
