import torch, torchvision
torch.manual_seed(0)
for name in ["resnet18", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0"]:
    m = getattr(torchvision.models, name)().eval()
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.1, 0.1); mod.running_var.uniform_(0.5, 1.5)
    x = torch.randn(1, 3, 224, 224)
    torch.onnx.export(m, x, name + ".onnx", opset_version=17, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "b"}, "y": {0: "b"}})
    print(name)
