"""Makes the small ONNX test models in this folder with PyTorch (Debian python3-torch 1.13, python3-onnx 1.12,
python3-torchvision 0.14 for the tiny ViT).

Run from this folder: /usr/bin/python3 make_models.py (add "coverage" for only the op-coverage models)
Each model NAME_opsetK.onnx comes with NAME_opsetK.ref_in.f32 / .ref_out.f32: a batch of 4 inputs and
PyTorch's outputs, raw little-endian float32, row-major. Never needed at build time: the files are committed.
The masked encoder layer (two graph inputs) has a batch of 2 and adds .ref_mask.f32: its bool
src_key_padding_mask as float32 0/1 (1 = padding).
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + x)


class ResNet(nn.Module):
    """A small residual CNN with batch norm; the head flattens with x.view(x.size(0), -1) (a shape subgraph)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.block = Block(8)
        self.down = nn.Conv2d(8, 16, 3, stride=2, padding=1, groups=2)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.bn(self.stem(x)))
        x = self.block(x)
        x = F.leaky_relu(self.down(x), 0.1)
        x = self.pool(x)
        x = F.adaptive_avg_pool2d(x, 1)
        x = x.view(x.size(0), -1)
        return F.log_softmax(self.fc(x), dim=-1)


class GeluMlp(nn.Module):
    """An MLP with exact and tanh GELU, layer norm, dropout and a residual connection."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(24, 48)
        self.ln1 = nn.LayerNorm(48)
        self.fc2 = nn.Linear(48, 48)
        self.ln2 = nn.LayerNorm(48)
        self.drop = nn.Dropout(0.1)
        self.fc3 = nn.Linear(48, 6)

    def forward(self, x):
        h = self.ln1(F.gelu(self.fc1(x)))
        h = self.ln2(h + self.drop(F.gelu(self.fc2(h), approximate="tanh")))
        return torch.softmax(self.fc3(torch.sigmoid(h) * 2 - 1), dim=1)


class LayoutNet(nn.Module):
    """Transpose, Concat, Slice with a step, Split, Softmax over a middle axis, Gather of one index, Squeeze/Unsqueeze."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        b = self.fc(x).transpose(1, 2)
        c = torch.cat([b, b * 2], dim=1)
        d = c[:, 2:14:3, :]
        e1, e2 = torch.split(d, [1, 3], dim=1)
        f = torch.softmax(e2, dim=1)
        out = torch.cat([f[:, 0], e1.squeeze(1), torch.log_softmax(e2, dim=2)[:, 2]], dim=1).unsqueeze(1)
        return out.flatten(1)


class CausalAttention(nn.Module):
    """nn.MultiheadAttention (batch_first) with a causal float mask held as a buffer (an initializer in the export)."""

    def __init__(self, e, h, length):
        super().__init__()
        self.attn = nn.MultiheadAttention(e, h, batch_first=True)
        self.register_buffer("mask", torch.triu(torch.full((length, length), float("-inf")), diagonal=1))

    def forward(self, x):
        return self.attn(x, x, x, attn_mask=self.mask, need_weights=False)[0]


class Decoder(nn.Module):
    """Transposed convolutions: stride 2 with padding and output padding, then grouped and dilated, then one without bias."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.up1 = nn.ConvTranspose2d(8, 6, 3, stride=2, padding=1, output_padding=1)
        self.up2 = nn.ConvTranspose2d(6, 4, 3, stride=1, padding=2, dilation=2, groups=2)
        self.up3 = nn.ConvTranspose2d(4, 2, (2, 3), stride=(2, 1), bias=False)

    def forward(self, x):
        x = F.relu(self.conv(x))
        x = F.relu(self.up1(x))
        return self.up3(torch.tanh(self.up2(x)))


def randomise_attention_biases(m, g):
    """nn.MultiheadAttention starts with zero biases; random ones make the test see them."""
    for mod in m.modules():
        if isinstance(mod, nn.MultiheadAttention):
            with torch.no_grad():
                mod.in_proj_bias.copy_(0.1 * torch.randn(mod.in_proj_bias.shape, generator=g))
                mod.out_proj.bias.copy_(0.1 * torch.randn(mod.out_proj.bias.shape, generator=g))


def transformers():
    """The attention patterns of PyTorch 1.13 (batch_first): an encoder layer at opsets 13 and 17, causal self-attention at 17."""
    torch.manual_seed(3)
    tel = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.1, batch_first=True)
    randomise_attention_biases(tel, torch.Generator().manual_seed(5))
    export(tel, "transformer_layer", (4, 10, 32), [13, 17], 6)
    torch.manual_seed(4)
    causal = CausalAttention(32, 4, 10)
    randomise_attention_biases(causal, torch.Generator().manual_seed(7))
    export(causal, "causal_attention", (4, 10, 32), [17], 8)


def masked_transformer():
    """nn.TransformerEncoderLayer (batch_first) called with src_key_padding_mask, a second (bool) graph input:
    PyTorch 1.13 turns it into an additive -inf term inside the graph. Batch 2, rows padded after 7 and 4 keys."""
    torch.manual_seed(6)
    tel = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.1, batch_first=True)
    g = torch.Generator().manual_seed(9)
    randomise_attention_biases(tel, g)
    randomise_bn(tel, g)
    tel.eval()
    x = torch.randn(2, 10, 32, generator=g)
    mask = torch.zeros(2, 10, dtype=torch.bool)
    mask[0, 7:] = True
    mask[1, 4:] = True
    with torch.enable_grad():  # requires_grad parameters keep the layer off its fused fast path: the math the export traces
        y = tel(x, src_key_padding_mask=mask).detach()
    for k in [13, 17]:
        base = f"transformer_layer_kpmask_opset{k}"
        torch.onnx.export(tel, (x, {"src_key_padding_mask": mask}), base + ".onnx", opset_version=k,
                          input_names=["input", "key_padding_mask"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "key_padding_mask": {0: "batch"}, "output": {0: "batch"}})
        x.numpy().astype("<f4").tofile(base + ".ref_in.f32")
        mask.numpy().astype("<f4").tofile(base + ".ref_mask.f32")
        y.numpy().astype("<f4").tofile(base + ".ref_out.f32")
        print(base, tuple(x.shape), tuple(mask.shape), "->", tuple(y.shape))


def randomise_bn(m, g):
    for mod in m.modules():
        if isinstance(mod, (nn.BatchNorm2d, nn.LayerNorm)):
            with torch.no_grad():
                mod.weight.copy_(1 + 0.2 * torch.randn(mod.weight.shape, generator=g))
                mod.bias.copy_(0.1 * torch.randn(mod.bias.shape, generator=g))
                if isinstance(mod, nn.BatchNorm2d):
                    mod.running_mean.copy_(0.1 * torch.randn(mod.running_mean.shape, generator=g))
                    mod.running_var.copy_(0.5 + torch.rand(mod.running_var.shape, generator=g))


def export(model, name, shape, opsets, seed):
    g = torch.Generator().manual_seed(seed)
    randomise_bn(model, g)
    model.eval()
    x = torch.randn(shape, generator=g)
    with torch.no_grad():
        y = model(x)
    for k in opsets:
        base = f"{name}_opset{k}"
        torch.onnx.export(model, x, base + ".onnx", opset_version=k, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        x.numpy().astype("<f4").tofile(base + ".ref_in.f32")
        y.numpy().astype("<f4").tofile(base + ".ref_out.f32")
        print(base, tuple(x.shape), "->", tuple(y.shape))


def conv_bn_by_hand(seed):
    """PyTorch's exporter folds eval-mode batch norm into the conv, so this one is written with onnx.helper:
    Conv (SAME_UPPER, dilation 1) -> BatchNormalization -> Relu -> Conv (dilation 2) -> GlobalAveragePool
    -> Flatten -> Gemm (transB=0, alpha 0.5). The reference is the same computation in PyTorch."""
    import onnx
    from onnx import helper, numpy_helper
    g = torch.Generator().manual_seed(seed)
    conv1, bn, conv2 = nn.Conv2d(2, 6, 3), nn.BatchNorm2d(6), nn.Conv2d(6, 4, 3, dilation=2, padding=2)
    randomise_bn(bn, g)
    bn.eval()
    wfc = torch.randn(4, 5, generator=g)
    x = torch.randn(4, 2, 9, 9, generator=g)
    with torch.no_grad():
        h = F.relu(bn(conv1(F.pad(x, (1, 1, 1, 1)))))
        y = F.adaptive_avg_pool2d(conv2(h), 1).flatten(1) @ wfc * 0.5
    t = lambda name, v: numpy_helper.from_array(v.detach().numpy().astype("float32"), name)
    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], name="conv1", auto_pad="SAME_UPPER", kernel_shape=[3, 3]),
        helper.make_node("BatchNormalization", ["c1", "g", "beta", "mean", "var"], ["n1"], name="bn", epsilon=bn.eps),
        helper.make_node("Relu", ["n1"], ["r1"], name="relu"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="conv2", pads=[2, 2, 2, 2], dilations=[2, 2]),
        helper.make_node("GlobalAveragePool", ["c2"], ["p"], name="gap"),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "wfc"], ["output"], name="fc", alpha=0.5),
    ]
    inits = [t("w1", conv1.weight), t("b1", conv1.bias), t("g", bn.weight), t("beta", bn.bias), t("mean", bn.running_mean),
             t("var", bn.running_var), t("w2", conv2.weight), t("b2", conv2.bias), t("wfc", wfc)]
    graph = helper.make_graph(nodes, "conv_bn", [helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, ["batch", 2, 9, 9])],
                              [helper.make_tensor_value_info("output", onnx.TensorProto.FLOAT, ["batch", 5])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)], producer_name="make_models.py")
    onnx.checker.check_model(model)
    onnx.save(model, "conv_bn_opset15.onnx")
    x.numpy().astype("<f4").tofile("conv_bn_opset15.ref_in.f32")
    y.numpy().astype("<f4").tofile("conv_bn_opset15.ref_out.f32")
    print("conv_bn_opset15", tuple(x.shape), "->", tuple(y.shape))


class SqueezeExcite(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.fc1, self.fc2 = nn.Conv2d(c, c // 2, 1), nn.Conv2d(c // 2, c, 1)

    def forward(self, x):
        return x * F.hardsigmoid(self.fc2(F.relu(self.fc1(F.adaptive_avg_pool2d(x, 1)))))


class MobileBlocks(nn.Module):
    """MobileNetV3-style ops: Hardswish, depthwise conv + ReLU6, squeeze-excite with Hardsigmoid, ELU/SELU/CELU, PReLU, global max pool."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.Hardswish())
        self.dw = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.BatchNorm2d(8), nn.ReLU6())
        self.se = SqueezeExcite(8)
        self.pw = nn.Sequential(nn.Conv2d(8, 12, 1), nn.BatchNorm2d(12))
        self.prelu = nn.PReLU(12)
        self.fc = nn.Linear(12, 5)

    def forward(self, x):
        h = self.pw(self.se(self.dw(self.stem(x))))
        h = torch.cat([F.elu(h[:, :4], 0.7), F.selu(h[:, 4:8]), F.celu(h[:, 8:], 0.5)], 1)
        return self.fc(F.adaptive_max_pool2d(self.prelu(h), 1).flatten(1))


class PoolsAndPads(nn.Module):
    """ceil_mode pools, padded averages with and without the pads counted, rectangular windows, asymmetric and
    symmetric zero padding before convolutions, reflect / replicate / constant padding, instance and group norm."""

    def __init__(self):
        super().__init__()
        self.conv_asym = nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(3, 4, 3, stride=2))
        self.conv_sym = nn.Conv2d(3, 4, 3)
        self.inorm = nn.InstanceNorm2d(3, affine=True)
        self.gnorm = nn.GroupNorm(1, 3)

    def forward(self, x):
        parts = [F.max_pool2d(x, 3, 2, ceil_mode=True), F.avg_pool2d(x, 3, 2, padding=1),
                 F.avg_pool2d(x, 2, 2, ceil_mode=True, count_include_pad=False), F.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True),
                 F.avg_pool2d(x, (3, 2), stride=(2, 1)), F.max_pool2d(x, (2, 3), stride=(1, 2), padding=(1, 0)),
                 self.conv_asym(x), self.conv_sym(F.pad(x, (1, 1, 1, 1))),
                 F.pad(x, (2, 1, 1, 2), mode="reflect"), F.pad(x, (1, 0, 2, 1), mode="replicate"), F.pad(x, (1, 1, 0, 2), value=0.25),
                 self.inorm(x), self.gnorm(x)]
        return torch.cat([p.flatten(1) for p in parts], 1)


class UNetResize(nn.Module):
    """A small U-Net (bilinear upsampling, skip concat) and nearest / align_corners resizes of its output."""

    def __init__(self):
        super().__init__()
        self.d1 = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.d2 = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU())
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.u1 = nn.Sequential(nn.Conv2d(24, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 2, 1))

    def forward(self, x):
        a = self.d1(x)
        y = self.u1(torch.cat([a, self.up(self.d2(a))], 1))
        return torch.cat([y.flatten(1), F.interpolate(y, size=(11, 13), mode="nearest").flatten(1),
                          F.interpolate(y, scale_factor=3, mode="nearest").flatten(1),
                          F.interpolate(y, size=(5, 7), mode="bilinear", align_corners=True).flatten(1)], 1)


class Signal1d(nn.Module):
    """1-D convolutions, batch norm, pools (one in ceil mode), a transposed 1-D convolution, global average and max."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv1d(3, 8, 5, padding=2), nn.BatchNorm1d(8), nn.ReLU(), nn.MaxPool1d(3, 2, padding=1),
                                  nn.Conv1d(8, 8, 3, dilation=2), nn.AvgPool1d(2, ceil_mode=True), nn.ConvTranspose1d(8, 4, 3, stride=2))
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        h = self.body(x)
        return self.fc(torch.cat([F.adaptive_avg_pool1d(h, 1), F.adaptive_max_pool1d(h, 1)], 1).flatten(1))


class Reductions(nn.Module):
    """ReduceMax / ReduceMin / ReduceMean / ReduceSum / ReduceL2 over inner and outer non-batch axes, kept or dropped."""

    def forward(self, x):
        parts = [x.amax(dim=(2, 3)), x.amin(dim=1, keepdim=True), x.mean(dim=(1, 3)), x.sum(dim=2),
                 torch.linalg.vector_norm(x, dim=3), x.abs().sum(-1, keepdim=True), x.mean(dim=-2, keepdim=True)]
        return torch.cat([p.flatten(1) for p in parts], 1)


class LayoutExtras(nn.Module):
    """DepthToSpace / SpaceToDepth (pixel shuffle), Tile (repeat), Expand of a graph value, CumSum, flip (a backwards Slice)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 1)

    def forward(self, x):
        y = F.pixel_shuffle(self.conv(x), 2)                  # [B, 2, 2H, 2W]
        z = F.pixel_unshuffle(y, 2)                            # [B, 8, H, W]
        t = z[:, :2].repeat(1, 2, 1, 3)                        # [B, 4, H, 3W]
        e = z[:, :, :1, :].expand(-1, -1, 3, -1)               # [B, 8, 3, W]
        c = torch.cumsum(z, dim=2) + torch.cumsum(z, dim=3).flip(3)
        return torch.cat([y.flatten(1), t.flatten(1), e.flatten(1), c.flatten(1)], 1)


class Recurrent(nn.Module):
    """Stacked LSTM and GRU, a bidirectional LSTM and a ReLU RNN (batch_first): all outputs and last hidden states used."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 6, num_layers=2, batch_first=True)
        self.gru = nn.GRU(6, 4, num_layers=2, batch_first=True)
        self.bi = nn.LSTM(5, 3, batch_first=True, bidirectional=True)
        self.rnn = nn.RNN(5, 4, batch_first=True, nonlinearity="relu")

    def forward(self, x):
        y, (h, c) = self.lstm(x)
        g, hg = self.gru(y)
        b, (hb, _) = self.bi(x)
        r, hr = self.rnn(x)
        return torch.cat([g.flatten(1), h[-1], c[0], hg[-1], b[:, 0], b[:, -1], hb[0], hb[1], r.mean(1), hr[0]], 1)


def coverage():
    """The models of the op-coverage test (PyTorchOpCoverageTest), at opsets 13 and 17."""
    for i, (make, name, shape) in enumerate([(MobileBlocks, "mobile_blocks", (4, 3, 16, 16)), (PoolsAndPads, "pools_pads", (4, 3, 11, 10)),
                                             (UNetResize, "unet_resize", (4, 3, 8, 8)), (Signal1d, "signal1d", (4, 3, 24)),
                                             (Reductions, "reductions", (4, 5, 6, 7)), (LayoutExtras, "layout_extras", (4, 3, 4, 5)),
                                             (Recurrent, "recurrent", (4, 7, 5))]):
        torch.manual_seed(20 + i)
        m = make()
        for mod in m.modules():  # PReLU and norm affine parameters start at constants; random ones make the test see them
            if isinstance(mod, (nn.PReLU, nn.InstanceNorm2d, nn.GroupNorm)):
                with torch.no_grad():
                    for prm in mod.parameters():
                        prm.copy_(prm + 0.3 * torch.randn(prm.shape))
        export(m, name, shape, [13, 17], 30 + i)
    tiny_vit()


def tiny_vit():
    """torchvision's VisionTransformer, tiny: its attention biases keep their zero start, so the export shares
    them between the layers through Identity nodes, which the attention pattern must see through."""
    from torchvision.models import VisionTransformer
    torch.manual_seed(40)
    vit = VisionTransformer(image_size=16, patch_size=8, num_layers=2, num_heads=4, hidden_dim=32, mlp_dim=64, num_classes=5)
    with torch.no_grad():
        for name, prm in vit.named_parameters():
            if not name.endswith("in_proj_bias") and not name.endswith("out_proj.bias"):
                prm.add_(0.1 * torch.randn(prm.shape))
    export(vit, "tiny_vit", (4, 3, 16, 16), [13, 17], 41)


if __name__ == "__main__":
    import sys
    if sys.argv[1:] == ["coverage"]:  # only the op-coverage models
        coverage()
        sys.exit(0)
    torch.manual_seed(0)
    export(ResNet(), "resnet_bn", (4, 3, 16, 16), [13, 17], 1)
    torch.manual_seed(1)
    export(GeluMlp(), "mlp_gelu_ln", (4, 24), [13, 17], 2)
    conv_bn_by_hand(3)
    torch.manual_seed(2)
    export(LayoutNet(), "layout", (4, 6, 8), [13, 17], 4)
    transformers()
    masked_transformer()
    torch.manual_seed(5)
    export(Decoder(), "conv_transpose", (4, 3, 5, 6), [13, 17], 9)
    coverage()
