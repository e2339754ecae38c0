from fractions import Fraction

import av
import numpy as np

from streamer.audio import MAX_BUFFER_S, SAMPLE_RATE, SLACK_S, TickAudio


def mic_frame(samples: int, value: int = 1000) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(
        np.full((1, samples), value, np.int16), format="s16", layout="mono"
    )
    frame.sample_rate, frame.time_base = 48000, Fraction(1, 48000)
    return frame


def test_each_tick_gets_exactly_its_samples_with_continuous_timestamps() -> None:
    audio = TickAudio(fps=30)
    audio.push(mic_frame(960 * 5))
    frames = [audio.pull(tick) for tick in range(3)]
    assert [f.samples for f in frames] == [1600, 1600, 1600]
    assert [f.pts for f in frames] == [0, 1600, 3200]
    assert frames[0].to_ndarray().min() > 500  # mono mic upmixed (-3 dB), not silence


def test_a_short_microphone_is_padded_with_silence() -> None:
    audio = TickAudio(fps=30)
    audio.push(mic_frame(1000))
    frame = audio.pull(0)
    samples = frame.to_ndarray().reshape(-1, 2)
    assert frame.samples == 1600
    assert samples[:1000].min() > 500 and samples[1000:].max() == 0
    assert audio.silence_samples == 600


def test_a_burst_after_a_stall_does_not_leave_audio_late() -> None:
    audio = TickAudio(fps=30)
    for _ in range(10):  # 200 ms that were stuck behind a stalled event loop
        audio.push(mic_frame(960))
    for tick in range(30):  # one second of steady microphone (50 ms packets) and clock
        if tick % 3 != 2:
            audio.push(mic_frame(2400))
        audio.pull(tick)
    assert audio.buffered_s < 0.05  # at most one 50 ms packet waiting after the pull
    assert audio.dropped_samples > 0


def test_normal_jitter_is_left_alone() -> None:
    audio = TickAudio(fps=30)
    arrived = 0
    for tick in range(90):  # 20 ms packets, a tick every 33 ms: the level rises and falls
        while arrived < (tick + 1) * 1600:
            audio.push(mic_frame(960))
            arrived += 960
        audio.pull(tick)
    assert audio.dropped_samples == 0


def test_a_steady_backlog_is_trimmed_to_the_slack() -> None:
    audio = TickAudio(fps=30)
    audio.push(mic_frame(2400))  # 50 ms early that never drains on its own
    for tick in range(30):
        audio.push(mic_frame(1600))
        audio.pull(tick)
    assert audio.buffered_s == SLACK_S


def test_a_runaway_microphone_is_capped() -> None:
    audio = TickAudio(fps=30)
    for _ in range(50):
        audio.push(mic_frame(960))
    assert audio.buffered_s == MAX_BUFFER_S


def test_frame_rates_that_do_not_divide_the_sample_rate_keep_sample_count_exact() -> None:
    audio = TickAudio(fps=7)
    total = sum(audio.samples_for(tick)[1] for tick in range(7))
    assert total == SAMPLE_RATE
