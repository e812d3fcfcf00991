"""engine.core.fmt: how counts read."""



def test_a_count_and_its_noun_agree():
    from engine.core.fmt import counted

    assert [counted(n, "stream") for n in (0, 1, 2, 1236)] == ["0 streams", "1 stream", "2 streams", "1,236 streams"]
