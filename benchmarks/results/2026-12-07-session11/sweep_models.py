import sys, traceback
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
import torchvision.models as tv

OUT = "/tmp/sweep/"
torch.manual_seed(0)

def randomise(m, g):
    for mod in m.modules():
        if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm, nn.InstanceNorm2d)):
            with torch.no_grad():
                if getattr(mod, "weight", None) is not None:
                    mod.weight.copy_(1 + 0.2 * torch.randn(mod.weight.shape, generator=g))
                    mod.bias.copy_(0.1 * torch.randn(mod.bias.shape, generator=g))
                if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
                    mod.running_mean.copy_(0.1 * torch.randn(mod.running_mean.shape, generator=g))
                    mod.running_var.copy_(0.5 + torch.rand(mod.running_var.shape, generator=g))

def export(name, model, shape, opset=17, dyn=True):
    try:
        g = torch.Generator().manual_seed(1)
        randomise(model, g)
        model.eval()
        x = torch.randn(shape, generator=g)
        with torch.no_grad():
            y = model(x)
        base = OUT + f"{name}_opset{opset}"
        torch.onnx.export(model, x, base + ".onnx", opset_version=opset, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}} if dyn else None)
        x.numpy().astype("<f4").tofile(base + ".ref_in.f32")
        y.numpy().astype("<f4").tofile(base + ".ref_out.f32")
        with open(base + ".shape", "w") as f:
            f.write(" ".join(str(d) for d in shape) + "\n" + " ".join(str(d) for d in y.shape) + "\n")
        print("ok", base, tuple(shape), "->", tuple(y.shape))
    except Exception as e:
        print("EXPORT FAIL", name, opset, type(e).__name__, str(e)[:200])

class L(nn.Module):
    def __init__(self, f, mods=None):
        super().__init__(); self.f = f; self.mods = nn.ModuleList(mods or [])
    def forward(self, x): return self.f(self, x)

def ops():
    yield "upsample_nearest", L(lambda s, x: F.interpolate(x, scale_factor=2, mode="nearest")), (2, 3, 5, 6)
    yield "upsample_bilinear", L(lambda s, x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)), (2, 3, 5, 6)
    yield "upsample_bilinear_ac", L(lambda s, x: F.interpolate(x, size=(9, 7), mode="bilinear", align_corners=True)), (2, 3, 5, 6)
    yield "pad_constant", L(lambda s, x: F.pad(x, (1, 2, 3, 0), value=0.5)), (2, 3, 5, 6)
    yield "pad_reflect", L(lambda s, x: F.pad(x, (1, 2, 2, 1), mode="reflect")), (2, 3, 5, 6)
    yield "pad_replicate", L(lambda s, x: F.pad(x, (1, 2, 2, 1), mode="replicate")), (2, 3, 5, 6)
    yield "avgpool_pad_incl", nn.AvgPool2d(3, 2, 1, count_include_pad=True), (2, 3, 9, 8)
    yield "avgpool_pad_excl", nn.AvgPool2d(3, 2, 1, count_include_pad=False), (2, 3, 9, 8)
    yield "avgpool_ceil", nn.AvgPool2d(2, 2, ceil_mode=True), (2, 3, 9, 7)
    yield "maxpool_ceil", nn.MaxPool2d(3, 2, ceil_mode=True), (2, 3, 10, 9)
    yield "maxpool_dil", nn.MaxPool2d(3, 1, padding=1, dilation=2), (2, 3, 10, 9)
    yield "elu", nn.ELU(0.7), (3, 11)
    yield "selu", nn.SELU(), (3, 11)
    yield "celu", nn.CELU(0.5), (3, 11)
    yield "prelu", nn.Sequential(nn.Conv2d(3, 4, 1), nn.PReLU(4)), (2, 3, 4, 5)
    yield "prelu1", nn.PReLU(), (3, 11)
    yield "hardtanh", nn.Hardtanh(-0.5, 0.8), (3, 11)
    yield "relu6", nn.ReLU6(), (3, 11)
    yield "hardswish", nn.Hardswish(), (3, 11)
    yield "hardsigmoid", nn.Hardsigmoid(), (3, 11)
    yield "silu", nn.SiLU(), (3, 11)
    yield "mish", nn.Mish(), (3, 11)
    yield "softsign", nn.Softsign(), (3, 11)
    yield "logsigmoid", nn.LogSigmoid(), (3, 11)
    yield "gelu_erf", nn.GELU(), (3, 11)
    yield "softplus_beta", nn.Softplus(beta=2, threshold=5), (3, 11)
    yield "groupnorm", nn.GroupNorm(2, 4), (2, 4, 3, 5)
    yield "instancenorm", nn.InstanceNorm2d(4, affine=True), (2, 4, 3, 5)
    yield "bn1d", nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU()), (4, 6)
    yield "conv1d", nn.Sequential(nn.Conv1d(3, 8, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2), nn.Conv1d(8, 4, 3, stride=2, dilation=2), nn.AdaptiveAvgPool1d(1), nn.Flatten()), (2, 3, 20)
    yield "conv1d_bn", nn.Sequential(nn.Conv1d(3, 8, 3), nn.BatchNorm1d(8), nn.ReLU(), nn.AvgPool1d(2)), (2, 3, 20)
    yield "conv3d", nn.Sequential(nn.Conv3d(2, 4, 3, padding=1), nn.ReLU()), (1, 2, 4, 5, 6)
    yield "reduce_max", L(lambda s, x: x.amax(dim=2) + x.amin(dim=1, keepdim=True).sum(dim=2)), (2, 4, 5)
    yield "reduce_l2_normalize", L(lambda s, x: F.normalize(x, dim=-1)), (3, 7)
    yield "reduce_prod_var", L(lambda s, x: x.var(dim=1) + x.std(dim=1)), (3, 7)
    yield "cumsum", L(lambda s, x: torch.cumsum(x, dim=1)), (3, 7)
    yield "argmax", L(lambda s, x: torch.argmax(x, dim=1).float()), (3, 7)
    yield "topk", L(lambda s, x: torch.topk(x, 3, dim=1)[0]), (3, 7)
    yield "embedding_from_input", L(lambda s, x: s.mods[0]((x.abs() * 3).long().clamp(max=9)).sum(1), [nn.Embedding(10, 4)]), (3, 5)
    yield "einsum", L(lambda s, x: torch.einsum("bij,bkj->bik", x, x)), (2, 3, 4)
    yield "bmm4d", L(lambda s, x: torch.matmul(x, x.transpose(-1, -2))), (2, 3, 4, 5)
    yield "channel_shuffle", L(lambda s, x: x.view(x.size(0), 2, 3, 4, 5).transpose(1, 2).reshape(x.size(0), 6, 4, 5)), (2, 6, 4, 5)
    yield "pixel_shuffle", nn.PixelShuffle(2), (2, 8, 3, 4)
    yield "tile_repeat", L(lambda s, x: x.repeat(1, 2, 3)), (2, 3, 4)
    yield "chunk_cat", L(lambda s, x: torch.cat(list(reversed(torch.chunk(x, 3, dim=1))), 1)), (2, 6, 4)
    yield "mean_max_min", L(lambda s, x: x.mean() + x.max() - x.min() + x), (2, 6)
    yield "where_cmp", L(lambda s, x: torch.where(x > 0.3, x * 2, -x)), (3, 7)
    yield "clamp_tensor", L(lambda s, x: torch.clamp(x, -0.2, 0.4)), (3, 7)
    yield "erf", L(lambda s, x: torch.erf(x)), (3, 7)
    yield "atan_tan", L(lambda s, x: torch.atan(x) + torch.tan(x * 0.3)), (3, 7)
    yield "round", L(lambda s, x: torch.round(x * 3)), (3, 7)
    yield "softmax_dim0", L(lambda s, x: torch.softmax(x, 0)), (3, 7)
    yield "lstm", L(lambda s, x: s.mods[0](x)[0], [nn.LSTM(5, 6, batch_first=True)]), (2, 4, 5)
    yield "gru", L(lambda s, x: s.mods[0](x)[0], [nn.GRU(5, 6, batch_first=True)]), (2, 4, 5)
    yield "flatten_mid", L(lambda s, x: torch.flatten(x, 1, 2)), (2, 3, 4, 5)
    yield "linear3d", nn.Sequential(nn.Linear(5, 7), nn.GELU(), nn.Linear(7, 3)), (2, 4, 5)
    yield "adaptive_avg_7", nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 8, 9)
    yield "adaptive_max", nn.AdaptiveMaxPool2d(1), (2, 3, 8, 9)
    yield "conv_transpose1d", nn.ConvTranspose1d(3, 4, 3, stride=2), (2, 3, 7)
    yield "div_sqrt", L(lambda s, x: x / (x.abs() + 1).sqrt()), (3, 7)
    yield "expand_as", L(lambda s, x: x[:, :1].expand_as(x) * x), (3, 7)
    yield "max_dim", L(lambda s, x: x.max(dim=1)[0]), (3, 7)

def models():
    yield "resnet18", tv.resnet18(num_classes=10), (2, 3, 64, 64)
    yield "mobilenet_v2", tv.mobilenet_v2(width_mult=0.5, num_classes=10), (2, 3, 64, 64)
    yield "mobilenet_v3_small", tv.mobilenet_v3_small(num_classes=10), (2, 3, 64, 64)
    yield "squeezenet1_1", tv.squeezenet1_1(num_classes=10), (2, 3, 64, 64)
    yield "shufflenet_v2", tv.shufflenet_v2_x0_5(num_classes=10), (2, 3, 64, 64)
    yield "efficientnet_b0", tv.efficientnet_b0(num_classes=10), (2, 3, 64, 64)
    yield "densenet121", tv.densenet121(num_classes=10), (2, 3, 64, 64)
    yield "googlenet", tv.googlenet(num_classes=10, aux_logits=False, init_weights=True), (2, 3, 64, 64)
    yield "vgg11_bn", tv.vgg11_bn(num_classes=10), (2, 3, 32, 32)
    yield "alexnet", tv.alexnet(num_classes=10), (2, 3, 224, 224)
    yield "regnet_x_400mf", tv.regnet_x_400mf(num_classes=10), (2, 3, 64, 64)
    yield "convnext_tiny", tv.convnext_tiny(num_classes=10), (2, 3, 64, 64)
    yield "mnasnet0_5", tv.mnasnet0_5(num_classes=10), (2, 3, 64, 64)
    yield "inception_v3", tv.inception_v3(num_classes=10, aux_logits=False, init_weights=True), (1, 3, 96, 96)
    yield "vit_tiny", tv.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=4, hidden_dim=64, mlp_dim=128, num_classes=10), (2, 3, 32, 32)

which = sys.argv[1] if len(sys.argv) > 1 else "all"
if which in ("all", "ops"):
    for n, m, s in ops(): export(n, m, s)
if which in ("all", "models"):
    for n, m, s in models(): export(n, m, s)

class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.d1 = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.d2 = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU())
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.u1 = nn.Sequential(nn.Conv2d(24, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 2, 1))
    def forward(self, x):
        a = self.d1(x); b = self.d2(a)
        return self.u1(torch.cat([a, self.up(b)], 1))

def more():
    yield "upsample_nearest_size", L(lambda s, x: F.interpolate(x, size=(7, 9), mode="nearest")), (2, 3, 5, 6)
    yield "upsample_bilinear_down", L(lambda s, x: F.interpolate(x, scale_factor=0.5, mode="bilinear")), (2, 3, 8, 6)
    yield "upsample_nearest3", nn.Upsample(scale_factor=3), (2, 3, 4, 5)
    yield "unet", UNet(), (2, 3, 16, 16)
    yield "reduce_mean_nokeep", L(lambda s, x: x.mean(dim=1) + x.sum(dim=(1, 2), keepdim=True).squeeze(2)), (2, 4, 5)
    yield "reduce_spatial", L(lambda s, x: x.amax(dim=(2, 3)) - x.amin(dim=(2, 3)) + x.mean(dim=(2, 3))), (2, 4, 5, 3)
    yield "global_max", nn.AdaptiveMaxPool2d(1), (2, 4, 5, 3)
    yield "conv1d_gap", nn.Sequential(nn.Conv1d(3, 8, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten()), (2, 3, 20)
    yield "pool1d", nn.Sequential(nn.MaxPool1d(3, 2, padding=1), nn.AvgPool1d(2, ceil_mode=True)), (2, 3, 19)
    yield "avgpool_asym", nn.Sequential(nn.ZeroPad2d((0, 1, 1, 0)), nn.AvgPool2d(3, 2)), (2, 3, 9, 8)
    yield "conv_pad_asym", nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(3, 4, 3, stride=2)), (2, 3, 9, 8)

if which == "more":
    for n, m, s in more(): export(n, m, s)
    for n, m, s in [("hardswish", nn.Hardswish(), (3, 11)), ("unet", UNet(), (2, 3, 16, 16)), ("pad_reflect", L(lambda s, x: F.pad(x, (1, 2, 2, 1), mode="reflect")), (2, 3, 5, 6))]:
        export(n, m, s, opset=13)

def more2():
    yield "cumsum_mid", L(lambda s, x: torch.cumsum(x, dim=1) + torch.cumsum(x.flip(2), dim=2)), (3, 4, 5)
    yield "pixel_unshuffle", nn.PixelUnshuffle(2), (2, 3, 4, 6)
    yield "expand_mid", L(lambda s, x: x[:, :, :1].expand(-1, -1, 5) + x), (2, 3, 5)
if which == "more2":
    for n, m, s in more2(): export(n, m, s)

class LstmHead(nn.Module):
    def __init__(self, cls, layers, **kw):
        super().__init__(); self.rnn = cls(5, 6, num_layers=layers, batch_first=True, **kw); self.fc = nn.Linear(6, 3); self.bi = kw.get("bidirectional", False)
    def forward(self, x):
        y, h = self.rnn(x)
        h = h[0] if isinstance(h, tuple) else h
        return torch.cat([self.fc(h[-1]), y[:, -1], y.mean(1)], 1)

def more3():
    yield "lstm2", LstmHead(nn.LSTM, 2), (3, 7, 5)
    yield "gru2", LstmHead(nn.GRU, 2), (3, 7, 5)
    yield "rnn_tanh", LstmHead(nn.RNN, 1), (3, 7, 5)
    yield "rnn_relu", LstmHead(nn.RNN, 1, nonlinearity="relu"), (3, 7, 5)
    yield "lstm1_seq1", LstmHead(nn.LSTM, 1), (3, 1, 5)
if which == "more3":
    for n, m, s in more3(): export(n, m, s); export(n, m, s, opset=13)

def more4():
    yield "bilstm", LstmHead(nn.LSTM, 1, bidirectional=True), (3, 7, 5)
if which == "more4":
    for n, m, s in more4(): export(n, m, s)
