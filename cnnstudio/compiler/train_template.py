'''The train.py written beside an exported model.py (see ``export_python``).

``train_script(class_name, logits)`` fills in the model's class name and whether its
forward takes ``logits=True`` (a network ending in Softmax); no project text goes into it.
The script needs torch, torchvision (only for image folders) and safetensors, and runs alone
or under torchrun.
'''

from __future__ import annotations

from cnnstudio.compiler.codegen import is_identifier

TEMPLATE = '''"""Train __CLASS__ (model.py) on an image folder or on MNIST-style IDX files.

    python train.py DATA [--epochs 5] [--batch-size 64] [--lr 0.001] [--max-steps N]
    torchrun --nproc-per-node 2 train.py DATA ...

DATA is either a folder of class folders (DATA/<class>/<image>, read with torchvision's
ImageFolder) or a folder holding train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz
(MNIST, Fashion-MNIST). Images are resized to the model's input size and scaled to [0, 1].
Under torchrun each process trains on its share of the data (DistributedDataParallel, gloo
on the CPU, nccl on GPUs); rank 0 prints progress and saves the weights (safetensors).
"""

import argparse
import gzip
import os
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from model import __CLASS__
from safetensors.torch import load_file, save_file
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, TensorDataset
from torch.utils.data.distributed import DistributedSampler


def read_idx(path: Path) -> torch.Tensor:
    """An IDX file (gzipped or not) as a uint8 tensor of its dimensions."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[2] != 0x08:
        raise ValueError(f"{path}: only unsigned-byte IDX files are supported")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    body = bytearray(data[4 + 4 * ndim:])
    return torch.frombuffer(body, dtype=torch.uint8).reshape(dims)


def find(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def load_data(root: Path, shape: tuple[int, int, int]) -> tuple[Dataset, int]:
    """The training set and its number of classes."""
    channels, height, width = shape
    images = find(root, "train-images-idx3-ubyte")
    labels = find(root, "train-labels-idx1-ubyte")
    if images and labels:
        x = read_idx(images).float().div(255).unsqueeze(1)
        if x.shape[2:] != (height, width):
            x = F.interpolate(x, size=(height, width), mode="bilinear", align_corners=False)
        x = x.expand(-1, channels, -1, -1).contiguous()
        y = read_idx(labels).long()
        return TensorDataset(x, y), int(y.max()) + 1
    from torchvision import datasets, transforms

    steps = [transforms.Resize((height, width))]
    if channels == 1:
        steps.append(transforms.Grayscale())
    steps.append(transforms.ToTensor())
    folder = datasets.ImageFolder(str(root), transform=transforms.Compose(steps))
    return folder, len(folder.classes)


def setup() -> tuple[int, int, torch.device]:
    """(rank, world size, device); starts the process group under torchrun."""
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return 0, 1, device
    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")
    device = torch.device("cpu")
    if cuda:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    return dist.get_rank(), dist.get_world_size(), device


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="image folder or folder of IDX files")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64, help="per process")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--max-steps", type=int, default=0, help="stop after N steps (0: all)")
    parser.add_argument("--weights", type=Path, help="start from these weights (safetensors)")
    parser.add_argument("--out", type=Path, default=Path("trained.safetensors"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rank, world, device = setup()
    torch.manual_seed(args.seed)
    model = __CLASS__()
    if args.weights:
        model.load_state_dict(load_file(str(args.weights)))
    model.to(device)
    dataset, classes = load_data(args.data, __CLASS__.input_shape)
    sampler = DistributedSampler(dataset, world, rank, shuffle=True, seed=args.seed)
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler)
    net = DistributedDataParallel(model) if world > 1 else model
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)

    step = 0
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        net.train()
        totals = torch.zeros(3, device=device)  # loss sum, correct, seen
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            outputs = __CALL__
            loss = F.cross_entropy(outputs, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            correct = (outputs.argmax(1) == labels).sum().item()
            totals += torch.tensor([loss.item() * len(labels), correct, len(labels)],
                                   device=device)
            if args.max_steps and step >= args.max_steps:
                break
        if world > 1:
            dist.all_reduce(totals)
        if rank == 0:
            loss_sum, correct, seen = totals.tolist()
            print(f"epoch {epoch + 1}: loss {loss_sum / seen:.4f}, "
                  f"accuracy {correct / seen:.4f} ({int(seen)} images, {classes} classes)")
        if args.max_steps and step >= args.max_steps:
            break

    if rank == 0:
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        save_file(state, str(args.out))
        print(f"saved {args.out}")
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
'''


def train_script(class_name: str, logits: bool) -> str:
    """train.py for ``class_name`` (a plain identifier); ``logits``: call the model with
    ``logits=True``."""
    if not is_identifier(class_name):
        raise ValueError(f"class name {class_name!r} is not a plain Python identifier")
    call = "net(images, logits=True)" if logits else "net(images)"
    return TEMPLATE.replace("__CLASS__", class_name).replace("__CALL__", call)
