import torch
from common import lenet
m = lenet(); m.load_state_dict(torch.load("lenet300.pt")); m.eval()
torch.onnx.export(m, torch.zeros(1, 784), "lenet300.onnx", opset_version=13, input_names=["x"], output_names=["logits"],
                  dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}})
print("exported")
