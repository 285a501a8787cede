"""Reference parameter counts the presets must reproduce exactly.

TORCHVISION: ``sum(p.numel() for p in model.parameters())`` of torchvision 0.29 models built
with ``weights=None`` (GoogLeNet and Inception v3 with ``aux_logits=False``), 1000 classes.
``test_torchvision_parity`` re-checks a subset live (all with --runslow).

KERAS: the "Total params" Keras applications print (BatchNorm moving statistics included,
i.e. the core's ``keras_params``), from the Keras applications table
(https://keras.io/api/applications/) and each model's ``summary()``.

OTHERS: counted by hand from the paper / reference definition (see the preset's docstring).
"""

TORCHVISION = {
    "alexnet": 61_100_840,
    "vgg11": 132_863_336, "vgg11_bn": 132_868_840,
    "vgg13": 133_047_848, "vgg13_bn": 133_053_736,
    "vgg16": 138_357_544, "vgg16_bn": 138_365_992,
    "vgg19": 143_667_240, "vgg19_bn": 143_678_248,
    "googlenet": 6_624_904,
    "inception_v3": 23_834_568,
    "resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
    "resnet101": 44_549_160, "resnet152": 60_192_808,
    "densenet121": 7_978_856, "densenet169": 14_149_480, "densenet201": 20_013_928,
    "mobilenet_v2": 3_504_872,
    "mobilenet_v3_small": 2_542_856, "mobilenet_v3_large": 5_483_032,
    "efficientnet_b0": 5_288_548,
    "convnext_tiny": 28_589_128,
}

KERAS = {
    "mobilenet_v1": 4_253_864,         # keras.applications.MobileNet(alpha=1.0)
    "xception": 22_910_480,            # keras.applications.Xception
    "inception_resnet_v2": 55_873_736,  # keras.applications.InceptionResNetV2
    "nasnet_mobile": 5_326_716,        # keras.applications.NASNetMobile
}

# LeNet-5 (as taught, 32x32 input, 10 classes): c1 (5*5*1+1)*6 = 156, c3 (5*5*6+1)*16 = 2,416,
# c5 (400+1)*120 = 48,120, f6 (120+1)*84 = 10,164, output (84+1)*10 = 850.
LENET5 = 156 + 2_416 + 48_120 + 10_164 + 850
# NIN-Imagenet (Caffe model zoo): per mlpconv, conv then two 1x1 "cccp" convs, all with bias.
NIN = (
    (11 * 11 * 3 + 1) * 96 + 2 * (96 + 1) * 96
    + (5 * 5 * 96 + 1) * 256 + 2 * (256 + 1) * 256
    + (3 * 3 * 256 + 1) * 384 + 2 * (384 + 1) * 384
    + (3 * 3 * 384 + 1) * 1024 + (1024 + 1) * 1024 + (1024 + 1) * 1000
)
