//! libtorch works for real in this build: a small forward and backward pass on CPU.
use tch::{nn, nn::Module, nn::OptimizerConfig, Device, Kind, Tensor};

#[test]
fn linear_layer_forward_backward_matches_hand_computed_gradient() {
    tch::manual_seed(0);
    let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]).reshape([2, 3]);
    let w = Tensor::from_slice(&[0.5f32, -1.0, 2.0])
        .reshape([1, 3])
        .set_requires_grad(true);
    // loss = Σ_i (x_i · w)²  ⇒  ∂loss/∂w = Σ_i 2 (x_i · w) x_i
    let out = x.matmul(&w.tr());
    let loss = out.pow_tensor_scalar(2).sum(Kind::Float);
    loss.backward();
    let grad: Vec<f32> = w.grad().reshape([-1]).try_into().unwrap();
    // x·w = [4.5, 9.0]  ⇒  grad = 2·4.5·[1,2,3] + 2·9·[4,5,6] = [81, 108, 135]
    assert_eq!(grad, vec![81.0, 108.0, 135.0]);
}

#[test]
fn a_small_network_learns_on_cpu() {
    tch::manual_seed(1);
    let vs = nn::VarStore::new(Device::Cpu);
    let net = nn::seq()
        .add(nn::linear(vs.root() / "l1", 2, 16, Default::default()))
        .add_fn(|x| x.relu())
        .add(nn::linear(vs.root() / "l2", 16, 1, Default::default()));
    let mut opt = nn::Adam::default().build(&vs, 1e-2).unwrap();
    // XOR-like target: y = x0 * x1 on {−1, 1}².
    let x = Tensor::from_slice(&[-1.0f32, -1.0, -1.0, 1.0, 1.0, -1.0, 1.0, 1.0]).reshape([4, 2]);
    let y = Tensor::from_slice(&[1.0f32, -1.0, -1.0, 1.0]).reshape([4, 1]);
    let initial = net
        .forward(&x)
        .mse_loss(&y, tch::Reduction::Mean)
        .double_value(&[]);
    for _ in 0..300 {
        let loss = net.forward(&x).mse_loss(&y, tch::Reduction::Mean);
        opt.backward_step(&loss);
    }
    let last = net
        .forward(&x)
        .mse_loss(&y, tch::Reduction::Mean)
        .double_value(&[]);
    assert!(last < 0.05 * initial, "loss {initial} → {last}");
}

#[test]
fn cuda_tensor_op_when_a_gpu_is_present() {
    // On CPU-only machines this checks that the query itself works; with a GPU, a real op.
    if !tch::Cuda::is_available() {
        assert_eq!(tch::Cuda::device_count(), 0);
        return;
    }
    let a = Tensor::ones([256, 256], (Kind::Float, Device::Cuda(0)));
    let s = a.matmul(&a).sum(Kind::Float).double_value(&[]);
    assert_eq!(s, 256.0 * 256.0 * 256.0);
}
