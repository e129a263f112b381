import pytest
import torch

from skiwce.models import CNN1D, MLP, HARNet, ResNet18, size_kwargs


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
        assert linears[0].in_features == 64 * 3

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
