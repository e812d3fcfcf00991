"""How the screens look, as SVG snapshots (update on purpose: pytest --snapshot-update)."""

from tui_lab.app import LabApp

from test_app import wait_ready


class TestHome:
    def test_home_100x30(self, snap_compare):
        assert snap_compare(LabApp(), terminal_size=(100, 30))

    def test_home_80x24_filtered(self, snap_compare):
        assert snap_compare(LabApp(), terminal_size=(80, 24), press=[*"sobel"])

    def test_too_small(self, snap_compare):
        assert snap_compare(LabApp(), terminal_size=(50, 14))


class TestScenario:
    def test_sobel_step_5(self, snap_compare):
        app = LabApp(scenario="conv-sobel", device="cpu")

        async def run_before(pilot):
            await wait_ready(pilot, app)
            await pilot.press(*"nnnnn")

        assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)

    def test_sobel_80x24_help(self, snap_compare):
        app = LabApp(scenario="conv-sobel", device="cpu")

        async def run_before(pilot):
            await wait_ready(pilot, app)
            await pilot.press("n", "question_mark")

        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
