// PyTorch binding for bias_act.cu: checks tensors, then calls the plain-CUDA launcher.
#include <torch/extension.h>
#include <ATen/cuda/CUDAContext.h>

extern "C" int wenyang_bias_act_launch(const float* x, const float* b, float* y, long long n,
                                       long long step, int channels, int act, float alpha,
                                       float gain, float clamp, cudaStream_t stream);

torch::Tensor bias_act(torch::Tensor x, torch::Tensor b, int64_t dim, int64_t act, double alpha,
                       double gain, double clamp) {
    TORCH_CHECK(x.is_cuda() && x.scalar_type() == torch::kFloat32, "x: float32 CUDA tensor");
    x = x.contiguous();
    bool has_b = b.numel() > 0;
    if (has_b) {
        TORCH_CHECK(b.is_cuda() && b.scalar_type() == torch::kFloat32 && b.dim() == 1,
                    "b: 1-D float32 CUDA tensor");
        TORCH_CHECK(dim >= 0 && dim < x.dim() && b.size(0) == x.size(dim), "b does not fit x");
        b = b.contiguous();
    }
    long long step = 1;
    for (int64_t d = dim + 1; d < x.dim(); ++d) step *= x.size(d);
    auto y = torch::empty_like(x);
    int err = wenyang_bias_act_launch(x.data_ptr<float>(), has_b ? b.data_ptr<float>() : nullptr,
                                      y.data_ptr<float>(), x.numel(), step,
                                      has_b ? (int)b.size(0) : 1, (int)act, (float)alpha,
                                      (float)gain, (float)clamp,
                                      at::cuda::getCurrentCUDAStream());
    TORCH_CHECK(err == 0, "bias_act kernel launch failed: ", err);
    return y;
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) { m.def("bias_act", &bias_act, "fused bias+act"); }
