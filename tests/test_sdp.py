import pytest

from streamer.sdp import InvalidOffer, add_start_bitrate, check_offer

OFFER = """v=0
o=- 1 2 IN IP4 127.0.0.1
s=-
t=0 0
m=audio 9 UDP/TLS/RTP/SAVPF 111
a=rtpmap:111 opus/48000/2
a=fmtp:111 minptime=10;useinbandfec=1
m=video 9 UDP/TLS/RTP/SAVPF 96 97 102
a=rtpmap:96 VP8/90000
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=rtpmap:102 H264/90000
a=fmtp:102 packetization-mode=1;profile-level-id=42e01f
""".replace("\n", "\r\n")


def test_start_bitrate_is_added_to_video_codecs_only() -> None:
    out = add_start_bitrate(OFFER, 2500)
    assert "a=fmtp:96 x-google-start-bitrate=2500" in out
    assert (
        "a=fmtp:102 packetization-mode=1;profile-level-id=42e01f;x-google-start-bitrate=2500" in out
    )
    assert "a=fmtp:97 apt=96\r\n" in out
    assert "a=fmtp:111 minptime=10;useinbandfec=1\r\n" in out


@pytest.mark.parametrize(
    ("sdp", "kind", "message"),
    [
        (OFFER, "answer", "expected an SDP of type 'offer'"),
        ("hello", "offer", "must start with 'v=0'"),
        (OFFER.split("m=video")[0], "offer", "no video"),
        ("v=0\r\n" + "a=x\r\n" * 20000, "offer", "larger than"),
    ],
)
def test_unusable_offers_are_rejected(sdp: str, kind: str, message: str) -> None:
    with pytest.raises(InvalidOffer, match=message):
        check_offer(sdp, kind)
