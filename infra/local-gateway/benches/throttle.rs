//! What the usage-plan check adds per request: `cargo bench -p local-gateway --bench throttle`.

use chrono::{TimeDelta, Utc};
use common::domain::{PlanTier, usage_plan};
use criterion::{Criterion, criterion_group, criterion_main};
use local_gateway::limits::Limiter;

fn bench(c: &mut Criterion) {
    // Premium: plenty of quota, so every check takes the full path (refill, quota, token).
    let plan = usage_plan(PlanTier::Premium);
    let limiter = Limiter::open(None).unwrap();
    let keys: Vec<String> = (0..1000).map(|i| format!("key{i:05}")).collect();
    let start = Utc::now();
    let mut n = 0i64;
    let mut group = c.benchmark_group("throttle_check");
    group.bench_function("one key", |b| {
        b.iter(|| {
            n += 1;
            // 1 ms apart: the bucket refills faster than it drains, so no check is refused.
            let _ = limiter.check(std::hint::black_box("key00000"), &plan, start + TimeDelta::milliseconds(n));
        })
    });
    group.bench_function("1000 keys", |b| {
        b.iter(|| {
            n += 1;
            let key = &keys[(n as usize) % keys.len()];
            let _ = limiter.check(std::hint::black_box(key), &plan, start + TimeDelta::milliseconds(n));
        })
    });
    // An export route: its own bucket (0.5 s apart keeps it from running dry at premium's 5/s).
    let export = common::domain::method_throttles(PlanTier::Premium)[0];
    group.bench_function("export route", |b| {
        b.iter(|| {
            n += 500;
            let _ = limiter.check_method(std::hint::black_box("key00001"), &plan, Some(&export), start + TimeDelta::milliseconds(n));
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
