from pathlib import Path

import pytest

from rtmp import (
    InvalidDestination,
    continuation,
    file_destination,
    parse_output,
    redact,
    rtmp_destination,
)

KEY = "live_8f3kQz_SENTINEL"


def test_key_is_kept_apart_from_the_url_and_masked_for_display() -> None:
    dest = rtmp_destination("rtmps://va.pscp.tv:443/x", KEY)
    assert dest.publish_url == f"rtmps://va.pscp.tv:443/x/{KEY}"
    assert dest.display == "rtmps://va.pscp.tv:443/x/****"
    assert KEY not in repr(dest)


def test_key_at_the_end_of_the_url_is_split_off() -> None:
    dest = rtmp_destination(f"rtmp://a.rtmp.youtube.com/live2/{KEY}")
    assert dest.server_url == "rtmp://a.rtmp.youtube.com/live2"
    assert dest.stream_key == KEY


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.com/app", "must start with rtmp:// or rtmps://"),
        ("example.com/app", "must start with rtmp:// or rtmps://"),
        ("rtmp:///app", "no host name"),
        ("rtmp://example.com", "no application name"),
        ("rtmp://example.com:99999/app", "malformed"),
        ("rtmp://[abc/app", "malformed"),
        ("rtmp://example.com/app?x=1", "must not contain"),
    ],
)
def test_unusable_urls_are_rejected_with_a_reason(url: str, message: str) -> None:
    with pytest.raises(InvalidDestination, match=message):
        rtmp_destination(url, "key")


@pytest.mark.parametrize(
    ("url", "start"),
    [
        ("rtmp//oops/app/live_SECRET", "rtmp//oops"),  # the key after the host is not shown
        ("https://example.com/app", "https://example.com"),
        ("example.com/app", "example.com"),
        ("rtmp:/example.com/app", "rtmp:"),
        ("http://me:hunter2@example.com/app", "http://****@example.com"),
    ],
)
def test_a_url_that_is_not_rtmp_is_quoted_back_up_to_its_host(url: str, start: str) -> None:
    with pytest.raises(InvalidDestination) as error:
        rtmp_destination(url, "key")
    assert str(error.value) == (
        f"server URL must start with rtmp:// or rtmps:// (it starts with {start!r}); "
        "choose Record to file to record locally"
    )


def test_an_empty_url_asks_for_one() -> None:
    with pytest.raises(InvalidDestination, match="enter the server URL"):
        rtmp_destination("   ", "key")


def test_key_with_spaces_is_rejected_without_echoing_it() -> None:
    with pytest.raises(InvalidDestination) as error:
        rtmp_destination("rtmp://example.com/app", "my secret key")
    assert "my secret key" not in str(error.value)


def test_output_argument_forms(tmp_path) -> None:
    assert parse_output("rtmp://h/app/k").kind == "rtmp"
    assert parse_output(str(tmp_path / "a.flv")).server_url == str(tmp_path / "a.flv")
    assert parse_output(f"file://{tmp_path}/b.flv").kind == "file"
    with pytest.raises(InvalidDestination, match="rtmp://, rtmps:// or file://"):
        parse_output("srt://example.com:9000")
    with pytest.raises(InvalidDestination, match="is a folder"):
        parse_output(str(tmp_path))


def test_redact_masks_plain_and_percent_encoded_forms() -> None:
    text = f"rtmp://h/app/{KEY} failed; url=rtmp%3A%2F%2Fh%2Fapp%2F{KEY}"
    assert KEY not in redact(text, KEY)
    assert redact("a/b c", "b c") == "a/****"
    assert redact("untouched", "") == "untouched"


def test_a_whole_ingest_url_pasted_beside_the_key_still_shows_no_secret() -> None:
    dest = rtmp_destination(f"rtmp://user:pa55word@a.rtmp.youtube.com/live2/{KEY}", "other-key")
    shown = dest.display
    assert shown == "rtmp://a.rtmp.youtube.com/live2/****"
    for secret in (KEY, "other-key", "pa55word"):
        assert secret not in shown
        assert secret not in dest.redact(f"error opening {dest.publish_url}")


def test_an_application_instance_without_key_is_masked_too() -> None:
    dest = rtmp_destination("rtmp://wowza.example.com:1935/app/_definst_")
    assert dest.display == "rtmp://wowza.example.com:1935/app/****"
    assert dest.stream_key == "_definst_"


def test_a_key_typed_twice_is_used_once() -> None:
    dest = rtmp_destination(f"rtmp://live.twitch.tv/app/{KEY}", KEY)
    assert dest.publish_url == f"rtmp://live.twitch.tv/app/{KEY}"


def test_a_missing_key_is_asked_for() -> None:
    with pytest.raises(InvalidDestination, match="enter the stream key"):
        rtmp_destination("rtmp://live.twitch.tv/app", "  ")


def test_a_restarted_recording_goes_on_in_the_next_free_part(tmp_path: Path) -> None:
    first = file_destination(tmp_path / "show.flv")
    (tmp_path / "show.flv").touch()
    second = continuation(first)
    assert second.server_url == str(tmp_path / "show-part2.flv")
    (tmp_path / "show-part2.flv").touch()
    (tmp_path / "show-part3.flv").touch()
    assert continuation(second).server_url == str(tmp_path / "show-part4.flv")


def test_a_restarted_rtmp_output_publishes_to_the_same_place() -> None:
    destination = rtmp_destination("rtmp://live.example.com/app", "secret-key")
    assert continuation(destination) == destination
