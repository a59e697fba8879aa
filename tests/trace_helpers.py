"""A traced training run shared by the display and TensorBoard tests."""
import minigrad as mg


def train_traced(model, x, y, steps=4, lr=0.1):
    """`steps` SGD steps on the mean squared error with a GradientTracer attached; the tracer."""
    opt = mg.optim.SGD(model.parameters(), lr=lr)
    tracer = mg.trace.GradientTracer(model)
    with tracer:
        for _ in range(steps):
            opt.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            opt.step()
    return tracer
