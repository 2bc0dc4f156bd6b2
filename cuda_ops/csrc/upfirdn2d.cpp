// PyTorch binding for upfirdn2d.cu.
#include <torch/extension.h>
#include <ATen/cuda/CUDAContext.h>

extern "C" int wenyang_upfirdn2d_launch(const float* x, const float* k, float* y, int nc, int ih,
                                        int iw, int kh, int kw, int upx, int upy, int downx,
                                        int downy, int padx0, int pady0, int oh, int ow,
                                        cudaStream_t stream);

torch::Tensor upfirdn2d(torch::Tensor x, torch::Tensor k, int64_t upx, int64_t upy,
                        int64_t downx, int64_t downy, int64_t padx0, int64_t padx1,
                        int64_t pady0, int64_t pady1) {
    TORCH_CHECK(x.is_cuda() && x.scalar_type() == torch::kFloat32 && x.dim() == 4,
                "x: float32 CUDA NCHW tensor");
    TORCH_CHECK(k.is_cuda() && k.scalar_type() == torch::kFloat32 && k.dim() == 2,
                "k: 2-D float32 CUDA tensor");
    x = x.contiguous();
    k = k.contiguous();
    int64_t n = x.size(0), c = x.size(1), ih = x.size(2), iw = x.size(3);
    int64_t kh = k.size(0), kw = k.size(1);
    int64_t oh = (ih * upy + pady0 + pady1 - kh) / downy + 1;
    int64_t ow = (iw * upx + padx0 + padx1 - kw) / downx + 1;
    TORCH_CHECK(oh >= 1 && ow >= 1, "upfirdn2d: empty output");
    auto y = torch::empty({n, c, oh, ow}, x.options());
    int err = wenyang_upfirdn2d_launch(x.data_ptr<float>(), k.data_ptr<float>(),
                                       y.data_ptr<float>(), (int)(n * c), (int)ih, (int)iw,
                                       (int)kh, (int)kw, (int)upx, (int)upy, (int)downx,
                                       (int)downy, (int)padx0, (int)pady0, (int)oh, (int)ow,
                                       at::cuda::getCurrentCUDAStream());
    TORCH_CHECK(err == 0, "upfirdn2d kernel launch failed: ", err);
    return y;
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) { m.def("upfirdn2d", &upfirdn2d, "upfirdn2d"); }
