"""Autograd from scratch: a tiny model fitted with nothing but tensors and backward().

    python examples/autograd_basics.py [--steps 200] [--device cuda]

Fits y = 3x^2 - 2x + 1 (plus noise) with three parameters and plain gradient descent,
checks one gradient against finite differences, and shows the graph autograd built.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import minigrad as mg  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--device", default="cpu")
    p.add_argument("--quick", action="store_true", help="a few steps only (smoke test)")
    args = p.parse_args(argv)
    if args.device != "cpu" and not mg.cuda.is_available():
        sys.exit(f"--device {args.device}: no GPU is available here (install minigrad[cuda12] or [cuda13])")
    steps = 20 if args.quick else args.steps

    mg.manual_seed(0)
    x = mg.linspace(-1, 1, 64, device=args.device)
    y = 3 * x**2 - 2 * x + 1 + 0.05 * mg.randn(64, device=args.device)
    a, b, c = (mg.zeros((), device=args.device, requires_grad=True) for _ in range(3))

    for step in range(steps + 1):
        loss = ((a * x**2 + b * x + c - y) ** 2).mean()
        if step % max(steps // 5, 1) == 0:
            print(f"step {step:4d}  loss {loss.item():.5f}  a={a.item():+.3f} b={b.item():+.3f} c={c.item():+.3f}")
        if step == steps:
            break
        for t in (a, b, c):
            t.grad = None
        loss.backward()
        with mg.no_grad():  # a manual gradient-descent step
            for t in (a, b, c):
                t -= args.lr * t.grad

    print("target:                 a=+3.000 b=-2.000 c=+1.000")
    x64 = mg.randn(5, dtype=mg.float64, requires_grad=True)
    ok = mg.gradcheck(lambda v: (v.tanh() * v.exp()).sum(), (x64,))
    print(f"finite-difference check of d/dx sum(tanh(x) * exp(x)): {'passed' if ok else 'failed'}")
    node, depth = loss.grad_fn, 0
    print("the graph behind the last loss, from the output back:")
    while node is not None and depth < 8:
        print("  " * depth + f"<- {node.name} {tuple(node.shape)}")
        node = next((n for n in node.next if isinstance(n, mg.autograd.Op)), None)
        depth += 1


if __name__ == "__main__":
    main()
