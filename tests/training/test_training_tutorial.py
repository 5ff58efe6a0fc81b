"""docs/tutorial.md's Python snippets run as written (those marked ``<!-- tested: name -->``)."""
from __future__ import annotations

import pathlib
import re

TUTORIAL = pathlib.Path(__file__).resolve().parents[2] / "docs" / "tutorial.md"


def snippet(name: str) -> str:
    text = TUTORIAL.read_text(encoding="utf-8")
    match = re.search(rf"<!-- tested: {re.escape(name)} -->\s*```python\n(.*?)```", text,
                      re.DOTALL)
    assert match, f"docs/tutorial.md has no python block marked 'tested: {name}'"
    return match.group(1)


def shown_output(name: str) -> str:
    """The first line of the output block shown right after the snippet."""
    block = TUTORIAL.read_text(encoding="utf-8").split(f"<!-- tested: {name} -->", 1)[1]
    after = block.split("```python", 1)[1].split("```", 1)[1]       # past the snippet
    return after.split("```", 1)[1].strip().splitlines()[0]         # the next block


def run(name: str, tmp_path, monkeypatch) -> dict:
    monkeypatch.chdir(tmp_path)           # the snippets write files in the current folder
    namespace: dict = {"__name__": f"tutorial_{name.replace('-', '_')}"}
    exec(compile(snippet(name), f"docs/tutorial.md ({name})", "exec"), namespace)
    return namespace


def test_own_loop_snippet_trains_and_saves(tmp_path, monkeypatch, capsys):
    ns = run("own-loop", tmp_path, monkeypatch)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6 and lines[0].startswith("epoch 1: train loss ")
    assert lines[0] == shown_output("own-loop")    # the tutorial shows what it prints
    assert ns["accuracy"] > 0.9                    # the MLP on MNIST5k after 6 epochs
    assert (tmp_path / "mlp.safetensors").exists()
    torch, net = ns["torch"], ns["net"]
    before = net.state_dict()["0.weight"].clone()
    with torch.no_grad():
        net[0].weight.zero_()
    net.load_state_dict(torch.load("mlp.safetensors"))    # the tutorial's reload line
    assert (net.state_dict()["0.weight"] == before).all().item()


def test_wrapper_snippet_prints_the_lecture_lines(tmp_path, monkeypatch, capsys):
    ns = run("wrapper", tmp_path, monkeypatch)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines[:6]] == [f"{e}/6" for e in range(1, 7)]
    assert lines[6].startswith("eval_loss ")
    assert lines[0] == shown_output("wrapper")
    assert ns["hist"]["eval_acc"][-1] > 0.9
