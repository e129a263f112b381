import pytest
import torch

from skiwce.models import CNN1D, MLP, HARNet, ResNet18, size_kwargs


def _inputs_without_gradient(net, shape, n_samples=16):
    """Input positions (channels x positions) whose gradient is exactly zero for every sample.

    float64 and eval mode (no dropout), a random projection of the logits so that no class's
    gradient cancels another's: a position without gradient is not connected to the output.
    """
    torch.manual_seed(0)
    net = net.double().eval()
    X = torch.randn(n_samples, *shape, dtype=torch.float64, requires_grad=True)
    out = net(X)
    (out * torch.randn_like(out)).sum().backward()
    return int((X.grad.abs().sum(0) == 0).sum())


# Every network and several input shapes, odd and even lengths, shorter than the layers and
# longer; the paper's literal "valid" layers too.
GRADIENT_CASES = [
    *[
        (f"mlp-{s}", lambda s=s: MLP(n_features=int(torch.tensor(s).prod())), s)
        for s in [(1,), (10,), (2, 5), (1, 3, 3)]
    ],
    *[
        (
            f"cnn1d-{p}-{c}x{n}",
            lambda n=n, c=c, p=p: CNN1D(input_length=n, in_channels=c, padding=p),
            (n,) if c == 1 else (c, n),
        )
        for p in ["same", "valid"]
        for c in [1, 3]
        for n in [1, 2, 4, 5, 7, 9, 10, 11, 40]
    ],
    *[
        (f"har-{p}-{n}", lambda n=n, p=p: HARNet(channels=(8, 8), padding=p), (3, n))
        for p in ["valid", "same"]
        for n in [1, 20, 38, 40, 41, 80, 81, 120]
    ],
    *[
        (f"resnet18-{s}", lambda s=s: ResNet18(in_channels=s[0], width=4), s)
        for s in [(1, 1, 1), (1, 8, 8), (3, 7, 5), (2, 9, 9)]
    ],
]


@pytest.mark.parametrize(
    "make, shape", [case[1:] for case in GRADIENT_CASES], ids=[case[0] for case in GRADIENT_CASES]
)
def test_every_input_reaches_the_output(make, shape):
    assert _inputs_without_gradient(make(), shape) == 0


class TestMLP:
    def test_flattens(self):
        assert MLP(n_features=6, n_classes=4)(torch.zeros(2, 2, 3)).shape == (2, 4)

    def test_hidden_layers_and_dropout(self):
        net = MLP(n_features=3, n_classes=2, hidden_layer_sizes=(5, 7), dropout=0.5)
        linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
        assert [lin.out_features for lin in linears] == [5, 7, 2]


class TestCNN1D:
    @pytest.mark.parametrize("n_features", range(1, 11))
    def test_any_short_length(self, n_features):
        out = CNN1D(input_length=n_features, n_classes=3)(torch.randn(4, n_features))
        assert out.shape == (4, 3)

    def test_paper_architecture(self):
        net = CNN1D(input_length=10, n_classes=3)
        convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv1d)]
        assert [(c.out_channels, c.kernel_size[0]) for c in convs] == [(32, 3), (64, 2)]
        linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
        assert [lin.out_features for lin in linears] == [128, 16, 3]
        # "same" convolutions keep the 10 positions, pooling halves them.
        assert linears[0].in_features == 64 * 5

    def test_valid_padding_is_the_literal_table(self):
        net = CNN1D(input_length=10, n_classes=3, padding="valid")
        # 10 -> 8 -> 7 positions; pooling rounds up to 4 (floor pooling dropped the 10th feature).
        assert net.classifier[0].in_features == 64 * 4
        assert net(torch.zeros(2, 10)).shape == (2, 3)

    @pytest.mark.parametrize("cls", [CNN1D, HARNet])
    def test_unknown_padding(self, cls):
        with pytest.raises(ValueError, match="padding must be one of"):
            cls(padding="causal")

    def test_multichannel(self):
        assert CNN1D(input_length=20, in_channels=3, n_classes=2)(torch.zeros(2, 3, 20)).shape == (
            2,
            2,
        )


class TestHARNet:
    def test_paper_architecture(self):
        net = HARNet()
        convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv1d)]
        assert [(c.out_channels, c.kernel_size[0]) for c in convs] == [(100, 10), (160, 10)]
        assert net.classifier.out_features == 6

    @pytest.mark.parametrize("length", [1, 20, 80, 200])
    def test_lengths(self, length):
        assert HARNet(in_channels=3, n_classes=4)(torch.zeros(2, 3, length)).shape == (2, 4)


class TestResNet18:
    @pytest.mark.parametrize("shape", [(1, 8, 8), (3, 32, 32), (2, 5, 7), (1, 1, 1)])
    def test_shapes(self, shape):
        net = ResNet18(in_channels=shape[0], n_classes=5, width=4)
        assert net(torch.zeros(2, *shape)).shape == (2, 5)

    def test_eighteen_layers(self):
        net = ResNet18()
        convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
        # 1 stem + 16 block convolutions + 3 projection shortcuts
        assert len(convs) == 20
        assert net.head[-1].in_features == 512


class TestSizeKwargs:
    def test_custom_module_gets_what_it_accepts(self):
        class Net(torch.nn.Module):
            def __init__(self, n_classes, input_shape, hidden=3):
                super().__init__()

        assert size_kwargs(Net, (2, 5), 4) == {"input_shape": (2, 5), "n_classes": 4}

    def test_flat_rows(self):
        assert size_kwargs(MLP, (7,), 2) == {"n_features": 7, "n_classes": 2}
        assert size_kwargs(CNN1D, (7,), 2) == {"in_channels": 1, "input_length": 7, "n_classes": 2}
