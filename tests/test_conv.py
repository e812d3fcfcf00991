"""The convolution lab against torch (F.conv2d, F.conv1d, F.conv_transpose2d, pooling) and the lecture."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.conv.lab import ConvLab
from engine.core.lab import Stepper
from engine.core.params import ParamError

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def lab(**params) -> ConvLab:
    return ConvLab(ConvLab.validate(params))


def last_frame(l: ConvLab):
    """The finished lab's last frame, as its stepper gives it after a finish."""
    l.finish()
    return l.frame_at(l.length() - 1)


def final(l: ConvLab) -> np.ndarray:
    return np.asarray(last_frame(l).values["output"], dtype=float)


def stepped(l: ConvLab) -> list:
    s = Stepper(l)
    s.ensure(1 << 40)
    return s.frames


def _close(a, b, tol=1e-9):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# --- the lecture -------------------------------------------------------------------

def test_lecture_sobel_numbers():
    frames = stepped(lab(padding=1))
    assert frames[1].caption == "y[0,0] = 0·1 + 0·2 + 0·1 + 0·0 + 1·0 + 2·0 + 0·(−1) + 4·(−2) + 5·(−1) = −13"
    assert frames[2].caption.endswith("= −20")
    assert frames[-1].to_json()["values"]["output"] == [[[-13, -20, -17], [-18, -24, -18], [13, 20, 17]]]
    assert frames[-1].values["torch_max_diff"] == 0


def test_cross_correlation_differs_by_the_flip():
    conv = final(lab(padding=1))
    xcorr = final(lab(padding=1, mode="cross-correlation"))
    # Flipping Sobel turns it upside down: the two results are negatives of each other.
    _close(conv, -xcorr)
    x = torch.arange(1.0, 10).reshape(1, 1, 3, 3).double()
    k = torch.tensor([[-1.0, -2, -1], [0, 0, 0], [1, 2, 1]]).double()[None, None]
    _close(xcorr, F.conv2d(x, k, padding=1)[0])


def test_multichannel_demo_shape_and_values():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 3, (3, 5, 5)).tolist()
    k = rng.integers(-1, 2, (2, 3, 3, 3)).tolist()
    l = lab(input=x, kernel=k, bias=[1, 0], padding=1, stride=2, mode="cross-correlation")
    out = final(l)
    assert out.shape == (2, 3, 3)
    ref = F.conv2d(torch.tensor(x).double()[None], torch.tensor(k).double(), torch.tensor([1.0, 0]).double(),
                   stride=2, padding=1)[0]
    _close(out, ref)
    # 27 products per cell, and the bias in the caption.
    f1 = stepped(lab(input=x, kernel=k, bias=[1, 0], padding=1, stride=2))[1]
    assert len(f1.values["products"]) == 27
    assert f1.caption.startswith("y[0,0,0] = ") and f1.caption.count("·") == 27


def test_lecture_1d_examples():
    x = [1, 2, 3, 4, 5, 6, 7]
    one = final(lab(dims=1, input=x, kernel=[1, -1], stride=2, mode="cross-correlation"))
    assert one.tolist() == [[-1, -1, -1]]
    ref = F.conv1d(torch.tensor(x).double()[None, None], torch.tensor([[[1.0, -1]]]).double(), stride=2)[0]
    _close(one, ref)
    two = lab(dims=1, input=x, kernel=[[[1, -1]], [[1, 1]]], stride=2, padding=1, mode="cross-correlation")
    assert last_frame(two).to_json()["values"]["output"] == [[-1, -1, -1, -1], [1, 5, 9, 13]]  # padded: 0 1 2 3 4 5 6 7 0


def test_output_size_floor_and_uncovered_rows():
    l = lab(input=np.ones((6, 6)).tolist(), kernel=np.ones((3, 3)).tolist(), stride=2)
    cap = l.materialize(0).caption
    assert "H_out = (6 − 3 + 2·0)/2 + 1 = 2.5 → floor 2" in cap
    assert "input rows 5 never covered" in cap and "input columns 5 never covered" in cap
    d = lab(input=np.ones((7, 7)).tolist(), kernel=np.ones((2, 2)).tolist(), dilation=3, stride=3)
    # Dilation 3 spreads the 2 taps to rows 0 and 3 (effective height 4); stride 3 puts them at
    # rows {0, 3} and {3, 6}: a whole number of steps (no floor), and rows 1, 2, 4, 5 fall between taps.
    dcap = d.materialize(0).caption
    assert "floor" not in dcap and "input rows 1, 2, 4, 5 never covered" in dcap and "input columns 1, 2, 4, 5 never covered" in dcap
    assert "(7 − 4 + 2·0)/3 + 1 = 2" in d.materialize(0).caption


def test_pool_alexnet_shape_and_zero_parameters():
    l = lab(random_input=[1, 55, 55], pool="max", size=3, stride=2)
    assert l.cfg.out_shape == (1, 27, 27)
    assert "(55 − 3 + 2·0)/2 + 1 = 27" in l.materialize(0).caption and "0 parameters" in l.materialize(0).caption


def test_max_pool_caption_and_winner():
    l = lab(input=[[1, 3], [2, 4]], pool="max", size=2, stride=2)
    f = stepped(l)[1]
    assert f.caption.startswith("y[0,0] = max(1, 3, 2, 4) = 4")
    assert f.values["winner"] == 3 and f.values["sum"] == 4


# --- against torch, on random shapes -------------------------------------------------

@st.composite
def conv_case(draw, dims=2):
    c, f = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k = [draw(st.integers(1, 3)) for _ in range(dims)]
    d, s, p = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(0, 2))
    n = [draw(st.integers(max(1, d * (kk - 1) + 1 - 2 * p), 7)) for kk in k]
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(c, *n)).round(3)
    w = rng.normal(size=(f, c, *k)).round(3)
    b = rng.normal(size=f).round(3)
    mode = draw(st.sampled_from(["convolution", "cross-correlation"]))
    return x, w, b, s, p, d, mode


@FAST
@given(conv_case())
def test_conv2d_matches_torch(case):
    x, w, b, s, p, d, mode = case
    l = lab(input=x.tolist(), kernel=w.tolist(), bias=b.tolist(), stride=s, padding=p, dilation=d, mode=mode)
    wt = torch.from_numpy(w[:, :, ::-1, ::-1].copy() if mode == "convolution" else w)
    ref = F.conv2d(torch.from_numpy(x)[None], wt, torch.from_numpy(b), stride=s, padding=p, dilation=d)[0]
    _close(final(l), ref)


@FAST
@given(conv_case(dims=1))
def test_conv1d_matches_torch(case):
    x, w, b, s, p, d, mode = case
    l = lab(dims=1, input=x.tolist(), kernel=w.tolist(), bias=b.tolist(), stride=s, padding=p, dilation=d, mode=mode)
    wt = torch.from_numpy(w[:, :, ::-1].copy() if mode == "convolution" else w)
    ref = F.conv1d(torch.from_numpy(x)[None], wt, torch.from_numpy(b), stride=s, padding=p, dilation=d)[0]
    _close(final(l), ref)


@FAST
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(0, 1),
       st.integers(1, 2), st.integers(0, 1), st.integers(0, 10_000), st.sampled_from(["convolution", "cross-correlation"]))
def test_conv_transpose2d_matches_torch(c, f, k, s, p, d, op, seed, mode):
    op = min(op, max(s, d) - 1)
    rng = np.random.default_rng(seed)
    x, w, b = rng.normal(size=(c, 3, 4)).round(3), rng.normal(size=(f, c, k, k)).round(3), rng.normal(size=f).round(3)
    try:
        l = lab(input=x.tolist(), kernel=w.tolist(), bias=b.tolist(), stride=s, padding=p, dilation=d,
                transposed=True, output_padding=op, mode=mode)
    except ParamError:
        return  # padding larger than the scattered output: rejected with a message (checked elsewhere)
    wk = w[:, :, ::-1, ::-1].copy() if mode == "convolution" else w
    ref = F.conv_transpose2d(torch.from_numpy(x)[None], torch.from_numpy(wk).transpose(0, 1), torch.from_numpy(b),
                             stride=s, padding=p, output_padding=op, dilation=d)[0]
    _close(final(l), ref)


@FAST
@given(st.sampled_from(["max", "avg"]), st.integers(1, 3), st.integers(1, 3), st.integers(0, 1),
       st.integers(1, 2), st.integers(0, 10_000))
def test_pooling_matches_torch(kind, size, s, p, d, seed):
    p = min(p, size // 2)
    d = 1 if kind == "avg" else d
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 6, 5)).round(3)
    l = lab(input=x.tolist(), pool=kind, size=size, stride=s, padding=p, dilation=d)
    t = torch.from_numpy(x)[None]
    ref = (F.max_pool2d(t, size, s, p, d) if kind == "max" else F.avg_pool2d(t, size, s, p))[0]
    _close(final(l), ref)


# --- the vectorized fill: one pass per filter, checked against torch ----------------------

ODD = [  # (input C, H, W; kernel F, kh, kw; stride, padding, dilation): odd, unequal, beyond the lecture's
    ((3, 23, 17), (4, 5, 3), 3, 2, 2),
    ((2, 19, 19), (3, 4, 4), 5, 1, 3),
    ((1, 12, 30), (2, 1, 7), 2, 3, 1),
    ((3, 31, 29), (2, 11, 11), 4, 0, 1),
]


@pytest.mark.parametrize("shape,k,s,p,d", ODD)
def test_filter_output_is_f_conv2d_at_odd_geometry(shape, k, s, p, d):
    from engine.conv import math as cm

    rng = np.random.default_rng(7)
    x, w, b = rng.normal(size=shape), rng.normal(size=(k[0], shape[0], *k[1:])), rng.normal(size=k[0])
    rows, cols = cm.Axis(shape[1], k[1], s, p, d), cm.Axis(shape[2], k[2], s, p, d)
    padded = np.pad(x, ((0, 0), (p, p), (p, p)))
    ref = F.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w), torch.from_numpy(b), stride=s, padding=p,
                   dilation=d)[0].numpy()
    got = np.stack([cm.filter_output(padded, w, b, rows, cols, f, "none") for f in range(k[0])])
    _close(got, ref)


@pytest.mark.parametrize("pool,size,s,p,d", [("max", 3, 2, 1, 2), ("max", 4, 3, 2, 1), ("avg", 3, 2, 1, 1),
                                             ("avg", 5, 3, 2, 1)])
def test_filter_output_pools_as_torch_does(pool, size, s, p, d):
    from engine.conv import math as cm

    x = np.random.default_rng(3).normal(size=(3, 17, 14))
    ax = dict(k=size, s=s, p=p, d=d)
    rows, cols = cm.Axis(17, **ax), cm.Axis(14, **ax)
    padded = np.pad(x, ((0, 0), (p, p), (p, p)), constant_values=-np.inf if pool == "max" else 0.0)
    t = torch.from_numpy(x)[None]
    ref = (F.max_pool2d(t, size, s, p, d) if pool == "max" else F.avg_pool2d(t, size, s, p))[0].numpy()
    got = np.stack([cm.filter_output(padded, None, np.zeros(3), rows, cols, f, pool) for f in range(3)])
    _close(got, ref)


@pytest.mark.parametrize("shape,k,s,p,d", ODD[:2])
def test_a_frame_mid_filter_shows_the_full_outputs_prefix(shape, k, s, p, d):
    """A jump into the middle of a filter: the frame's output is torch's full output up to
    that cell and nothing (NaN) after it, and its sum is that cell's."""
    params = dict(random_input=list(shape), random_kernel=[k[0], shape[0], *k[1:]], stride=s, padding=p,
                  dilation=d, mode="cross-correlation", bias=[0.25 * i for i in range(k[0])])
    l = lab(**params)
    ref = F.conv2d(torch.from_numpy(l.x.copy())[None], torch.from_numpy(l.k.copy()), torch.from_numpy(l.bias.copy()), stride=s,
                   padding=p, dilation=d)[0].numpy().reshape(-1)
    s_ = Stepper(l)
    for t in (ref.size // 2 + 3, 5, ref.size - 1):  # past the middle first: a jump, then back
        s_.ensure(t)
        v = s_.frames[t].values
        out = np.asarray(v["output"], dtype=float).reshape(-1)
        _close(out[:t], ref[:t])
        assert np.isnan(out[t:]).all()
        assert math.isclose(v["sum"], ref[t - 1], rel_tol=1e-9, abs_tol=1e-9)


# --- frames: stepping = finish, frozen, lazy ------------------------------------------

@FAST
@given(conv_case())
def test_finish_gives_the_frames_stepping_gives(case):
    x, w, b, s, p, d, mode = case
    params = dict(input=x.tolist(), kernel=w.tolist(), bias=b.tolist(), stride=s, padding=p, dilation=d, mode=mode)
    by_step = [json.dumps(f.to_json()) for f in stepped(lab(**params))]
    half = lab(**params)
    st_ = Stepper(half)
    st_.ensure(len(by_step) // 2)
    st_.run_to_end()
    assert [json.dumps(f.to_json()) for f in st_.frames] == by_step


def test_frames_shown_out_of_order_equal_the_frames_shown_in_order():
    """Cells are written when a frame is first shown: a jump (a knob turn mid-scenario) writes
    the cells before it in one fill, and every frame still reads as stepping made it."""
    params = dict(random_input=[2, 7, 8], random_kernel=[3, 2, 3, 3], padding=1, stride=2, bias=[0.5, -1, 2])
    by_step = [json.dumps(f.to_json()) for f in stepped(lab(**params))]
    jumped = lab(**params)
    s = Stepper(jumped)
    middle = len(by_step) // 2
    s.ensure(middle)
    assert jumped.written == 0  # moving there computed nothing yet
    order = [middle, 3, middle + 5, 1, len(by_step) - 1, 0, *range(len(by_step))]
    s.ensure(1 << 40)
    shown = {i: json.dumps(s.frames[i].to_json()) for i in order}
    assert [shown[i] for i in range(len(by_step))] == by_step


def test_a_jump_makes_the_frames_stepping_one_at_a_time_makes(monkeypatch):
    """A stepper moves a conv lab to step 5,000 by counting, not by 5,000 trips through
    `frames()` nor 5,000 objects (`FrameRange`): a frame is made when read, reads as the
    generator's own, is the same object when read again, and the stepper knows the end once
    it reaches it."""
    params = dict(random_input=[2, 40, 40], random_kernel=[4, 2, 3, 3], padding=1, bias=[0.5, -1, 2, 0])
    one_by_one = list(lab(**params).frames())  # the generator, never frame_at
    s = Stepper(lab(**params))
    made = []
    monkeypatch.setattr(s.frames, "_make", lambda i, make=s.frames._make: made.append(i) or make(i))
    assert s.ensure(5000) == 5000 and len(s.frames) == 5001 and not s.done and made == []
    assert s.frames[4321] is s.frames[4321] and s.frames[-1] is s.frames[5000] and made == [4321, 5000]
    assert [f.index for f in s.frames] == list(range(5001))
    for i in (0, 1, 2999, 5000):
        assert json.dumps(s.frames[i].to_json()) == json.dumps(one_by_one[i].to_json())
    assert s.ensure(1 << 40) == len(one_by_one) - 1 and s.done and s.count == len(one_by_one)
    assert json.dumps(s.frames[-1].to_json()) == json.dumps(one_by_one[-1].to_json())


def test_earlier_frames_never_change():
    l = lab(random_input=[2, 9, 9], random_kernel=[2, 2, 3, 3], padding=1)
    s = Stepper(l)
    s.ensure(3)
    before = json.dumps(s.frames[2].to_json())
    s.run_to_end()
    assert json.dumps(s.frames[2].to_json()) == before
    assert s.frames[2].to_json()["values"]["output"][0][0][2] is None
    with pytest.raises(ValueError):
        s.frames[2].values["products"][0] = 1.0  # frozen


def test_large_input_stays_small_per_frame():
    l = lab(random_input=[3, 227, 227], random_kernel=[96, 3, 11, 11], stride=4, mode="cross-correlation")
    assert l.cfg.out_shape == (96, 55, 55)
    s = Stepper(l)
    s.ensure(5)
    v = s.frames[5].values
    assert np.asarray(v["padded"]).shape[1] <= 11 + 2 * 3
    assert "input" not in v and "kernel" not in v and len(v["products"]) == 363
    assert "363 products" in s.frames[5].caption
    # The cell equals torch's for the same window.
    ref = F.conv2d(torch.from_numpy(l.x[None].copy()), torch.from_numpy(l.k.copy()), stride=4)[0]
    assert math.isclose(v["sum"], float(ref[0, 0, 4]), abs_tol=1e-9)


def test_bad_geometry_messages():
    with pytest.raises(ParamError, match="params.kernel: kernel width 3"):
        lab(input=[[1, 2]], kernel=[[1, 2, 3]])
    with pytest.raises(ParamError, match="params.output_padding"):
        lab(output_padding=1)
    with pytest.raises(ParamError, match="params.input: expected a list shaped \\[H\\]\\[W\\]"):
        lab(input=[1, 2, 3])
    with pytest.raises(ParamError, match="params.bias: pooling has no bias"):
        lab(pool="max", bias=[1])
    with pytest.raises(ParamError, match="params.image: no such file: nope.png; name a PNG or JPEG"):
        lab(image="nope.png")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("what", ["folder", "fifo", "missing"])
def test_an_image_that_is_not_a_regular_file_is_named_as_text_would_be(tmp_path, what):
    """One rule (engine.core.files.not_a_file) for every file a scenario reads: an image and a
    charrnn text given a folder, a FIFO or nothing say the same, and nothing is opened."""
    from engine.charrnn.data import read_text

    path = tmp_path / what
    if what == "folder":
        path.mkdir()
    elif what == "fifo":
        os.mkfifo(path)  # opening it would wait for a writer forever
    said = {"folder": f"{path} is a folder", "fifo": f"{path} is not a regular file",
            "missing": f"no such file: {path}"}[what]
    with pytest.raises(ParamError) as image:
        lab(image=str(path), filter="box")
    with pytest.raises(ParamError) as text:
        read_text(str(path))
    assert image.value.message.startswith(said) and text.value.message.startswith(said)
    assert image.value.message.split(";")[0] == text.value.message.split(";")[0]


def test_images_builtin_and_user_files(tmp_path):
    from PIL import Image

    png = tmp_path / "tiny.png"
    Image.fromarray((np.arange(64 * 48) % 256).reshape(48, 64).astype(np.uint8)).save(png)
    l = lab(image=str(png), image_width=16, filter="box", padding=1)
    assert l.x.shape == (1, 12, 16)  # resized to 16 wide, aspect kept
    _close(final(l), F.conv2d(torch.from_numpy(l.x[None].copy()), torch.full((1, 1, 3, 3), 1 / 9, dtype=torch.float64), padding=1)[0])
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    with pytest.raises(ParamError, match="is not a PNG or JPEG file"):
        lab(image=str(bad))
    # Only PNG and JPEG, told by their first bytes: a GIF (or an EPS, which Pillow would hand
    # to Ghostscript) named .png is refused before Pillow sees it.
    gif = tmp_path / "really-a-gif.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(gif, format="GIF")
    with pytest.raises(ParamError, match="is not a PNG or JPEG file"):
        lab(image=str(gif))
    eps = tmp_path / "x.png"
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n")
    with pytest.raises(ParamError, match="is not a PNG or JPEG file"):
        lab(image=str(eps))
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(png.read_bytes()[:40])
    with pytest.raises(ParamError, match="cannot read .* as an image"):
        lab(image=str(truncated))
    # The lecture's shift kernel, flipped by true convolution, moves the picture one pixel left.
    s = lab(image="shapes", image_width=12, filter="shift-left", padding=1)
    out = final(s)[0]
    np.testing.assert_array_equal(out[:, :-1], s.x[0][:, 1:])


def test_a_knob_turn_reuses_the_numbers_and_a_new_draw_does_not():
    """Geometry knobs change no number: the lab they build shares the input and kernel (read-only,
    so no lab can change another's), and its output is still torch's."""
    params = dict(random_input=[2, 15, 13], random_kernel=[2, 2, 3, 3], mode="cross-correlation")
    a, b = lab(**params), lab(**params, stride=2, padding=1, dilation=2)
    assert b.x is a.x and b.k is a.k and not a.x.flags.writeable and not a.padded.flags.writeable
    ref = F.conv2d(torch.from_numpy(a.x.copy())[None], torch.from_numpy(a.k.copy()), stride=2, padding=1, dilation=2)
    _close(final(b), ref[0])
    other = ConvLab(ConvLab.validate(params), seed=1)
    assert other.x is not a.x and not np.array_equal(other.x, a.x)


def test_an_edited_image_file_is_read_again(tmp_path):
    from PIL import Image

    png = tmp_path / "pic.png"
    Image.fromarray(np.full((12, 16), 10, np.uint8)).save(png)
    before = lab(image=str(png), image_width=16, filter="box").x
    Image.fromarray(np.full((12, 16), 200, np.uint8)).save(png)
    os.utime(png, ns=(png.stat().st_atime_ns, png.stat().st_mtime_ns + 1_000_000_000))
    after = lab(image=str(png), image_width=16, filter="box").x
    assert before.max() == 10 and after.min() == 200


def test_sharpen_is_two_identity_minus_box():
    from engine.conv.image import filters

    k = filters()
    _close(k["sharpen"], 2 * k["identity"] - np.ones((3, 3)) / 9)


# --- robustness -------------------------------------------------------------------------

def test_transposed_output_size_is_bounded_in_check():
    with pytest.raises(ParamError) as info:
        ConvLab.check(ConvLab.validate({"random_input": [1, 50, 50], "kernel": [[1]], "transposed": True, "stride": 64}))
    assert info.value.key == "params.stride" and "transposed output 1×3137×3137" in info.value.message
    with pytest.raises(ParamError) as info:
        ConvLab.check(ConvLab.validate({"random_input": [1, 300, 300], "random_kernel": [64, 1, 3, 3],
                                        "transposed": True, "stride": 64}))
    assert "too large for one lab" in info.value.message


def test_tall_or_huge_images_are_refused_before_decoding(tmp_path):
    from PIL import Image

    tall = tmp_path / "tall.png"
    Image.new("L", (1, 60000)).save(tall)
    with pytest.raises(ParamError) as info:
        lab(image=str(tall), image_width=160, filter="box")
    assert info.value.key == "params.image" and "at most 1024 rows" in info.value.message
    bomb = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(bomb)
    with pytest.raises(ParamError) as info:
        lab(image=str(bomb), filter="box")
    assert info.value.key == "params.image" and "too large" in info.value.message
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 100)
    with pytest.raises(ParamError) as info:
        lab(image=str(junk), filter="box")
    assert info.value.key == "params.image" and "cannot read" in info.value.message


@pytest.mark.parametrize("params", [
    {"input": [[1, 2, 3]] * 5, "pool": "max", "size": 2, "padding": 1, "dilation": 4},
    {"input": [[1e308, 1e308], [1e308, 1e308]], "kernel": [[1, 1], [1, 1]], "mode": "cross-correlation"},
])
def test_equal_infinities_match_torch_without_warnings(params):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        last = last_frame(lab(**params))
        out = np.asarray(last.values["output"], dtype=float)
        assert np.isinf(out).any()
        assert last.values["torch_max_diff"] == 0


def test_overflow_to_nan_leaks_no_warning_and_claims_no_match():
    """1e308 kernels overflow (the kernel's own sum too); ∞ − ∞ is NaN in torch as here, and
    the check says so instead of "matches, largest difference 0"."""
    import warnings

    from rich.console import Console

    from tui_lab.render.common import check_line

    x = [[1e308, -1e308, 1e308], [1e308, 1e308, -1e308], [1, 2, 3]]
    k = [[1e308, -1e308], [1e308, 1e308]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        last = last_frame(lab(input=x, kernel=k, mode="cross-correlation"))
    ref = F.conv2d(torch.tensor([[x]], dtype=torch.float64), torch.tensor([[k]], dtype=torch.float64))[0]
    check = last.values["check"]
    assert check["nan_cells"] == int(torch.isnan(ref).sum()) > 0 and check["cells"] == ref.numel()
    assert check["ok"] is False and check["max_diff"] == 0
    assert "NaN on both sides in 2 cells" in last.caption
    console = Console(width=200, no_color=True)
    with console.capture() as cap:
        console.print(check_line(check))
    line = cap.get()
    assert line.startswith(f"? NaN on both sides in {check['nan_cells']} of 4 cells") and "✓" not in line


def test_a_replay_that_overflows_writes_nothing_on_stderr(tmp_path):
    from conftest import run_cli

    toml = tmp_path / "big.toml"
    toml.write_text('title = "big"\nlab = "conv"\n[params]\n'
                    'input = [[1e308, 1e308, 1e308], [1e308, -1e308, 1e308], [1e308, 1e308, 1e308]]\n'
                    'kernel = [[1e308, 1e308], [1e308, 1e308]]\n')
    out = run_cli("replay", str(toml), "--device", "cpu")
    assert out.returncode == 0 and out.stderr == ""
    assert "nothing to compare with F.conv2d" in out.stdout and "✓" not in out.stdout


def test_max_diff_semantics():
    from engine.core.check import max_diff

    inf, nan = np.inf, np.nan
    assert max_diff(np.array([inf, -inf, nan, 1.0]), np.array([inf, -inf, nan, 1.5])) == 0.5
    assert max_diff(np.array([inf]), np.array([-inf])) == inf
    assert max_diff(np.array([nan]), np.array([1.0])) == inf


def test_several_channels_put_the_outputs_and_the_sum_beside_the_first_where_they_fit():
    """conv-multichannel stacks three channel blocks (24 lines): at 100 columns the outputs
    and this cell's sum stand beside channel 0, seen without scrolling; at 80 they do not fit
    there and come below, once. The numbers are the frame's own (y[0,0,1] = 6)."""
    from conftest import draw
    from engine.session import Session
    from scenarios import load

    session = Session(load("conv-multichannel"))
    frame = session.goto(2)
    wide, narrow = draw("conv", frame, 100).splitlines(), draw("conv", frame, 80).splitlines()
    head = next(i for i, ln in enumerate(wide) if ln.startswith("padded input ch 0"))
    assert "output f0" in wide[head] and "output f1" in wide[head] and "{6}" in wide[head + 1]
    assert "sum + bias = 6" in wide[head + 4] and sum("sum + bias" in ln for ln in wide) == 1
    assert frame.values["sum"] == 6
    assert "output" not in next(ln for ln in narrow if ln.startswith("padded input ch 0"))
    below = next(i for i, ln in enumerate(narrow) if "output f0" in ln)
    assert below > next(i for i, ln in enumerate(narrow) if ln.startswith("padded input ch 2"))
    assert sum("sum + bias = 6" in ln for ln in narrow) == 1
