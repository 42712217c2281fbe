//! Running our own CPU kernels on libtorch's thread team.
//!
//! libtorch parallelises its CPU operators with OpenMP (GNU libgomp in the PyPI builds). After
//! each parallel operator, libgomp's worker threads spin for a while before they sleep, so
//! threads of our own started right after a libtorch operator share the cores with spinning
//! workers: on 2 cores that made the private step's per-sample kernel ([`super::conv_cpu`])
//! up to twice as slow, and its time erratic. Running the work *on* the OpenMP team (as
//! libtorch's own `parallel_for` does) avoids the contention. libgomp's entry points are
//! looked up in the running process; where they are absent (another OpenMP runtime, no OpenMP)
//! scoped threads do the work instead.
use std::ffi::{c_int, c_uint, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

type Parallel = unsafe extern "C" fn(extern "C" fn(*mut c_void), *mut c_void, c_uint, c_uint);
type ThreadQuery = unsafe extern "C" fn() -> c_int;

/// libgomp's `GOMP_parallel`, `omp_get_thread_num` and `omp_get_num_threads`.
#[derive(Clone, Copy)]
struct Gomp {
    parallel: Parallel,
    thread_num: ThreadQuery,
    num_threads: ThreadQuery,
}

fn gomp() -> Option<Gomp> {
    static GOMP: OnceLock<Option<Gomp>> = OnceLock::new();
    *GOMP.get_or_init(|| {
        if std::env::var_os("DPGAN_NO_OMP_TEAM").is_some_and(|v| v != "0") {
            return None;
        }
        lookup()
    })
}

#[cfg(all(unix, not(target_os = "macos")))]
fn lookup() -> Option<Gomp> {
    let find = |name: &std::ffi::CStr| {
        // SAFETY: dlsym with RTLD_DEFAULT only reads the process's symbol tables.
        let p = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
        (!p.is_null()).then_some(p)
    };
    let (parallel, thread_num, num_threads) = (
        find(c"GOMP_parallel")?,
        find(c"omp_get_thread_num")?,
        find(c"omp_get_num_threads")?,
    );
    // SAFETY: these are libgomp's exported functions, whose C signatures are the types above
    // (libgomp's ABI, stable since GCC 4.9).
    unsafe {
        Some(Gomp {
            parallel: std::mem::transmute::<*mut c_void, Parallel>(parallel),
            thread_num: std::mem::transmute::<*mut c_void, ThreadQuery>(thread_num),
            num_threads: std::mem::transmute::<*mut c_void, ThreadQuery>(num_threads),
        })
    }
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn lookup() -> Option<Gomp> {
    None
}

/// Whether work runs on libgomp's team (else on scoped threads).
#[cfg(test)]
fn uses_openmp() -> bool {
    gomp().is_some()
}

/// Calls `work(part)` once for every part in `0..parts`, spread over at most `threads`
/// threads (the caller's among them), and returns when all are done. A panic in `work` is
/// raised again here.
pub fn for_each_part(parts: usize, threads: usize, work: &(dyn Fn(usize) + Sync)) {
    let threads = threads.clamp(1, parts.max(1));
    if parts == 0 {
        return;
    }
    if threads == 1 {
        (0..parts).for_each(work);
        return;
    }
    match gomp() {
        Some(g) => on_team(g, parts, threads, work),
        None => std::thread::scope(|scope| {
            for t in 1..threads {
                scope.spawn(move || (t..parts).step_by(threads).for_each(work));
            }
            (0..parts).step_by(threads).for_each(work);
        }),
    }
}

struct Job<'a> {
    gomp: Gomp,
    parts: usize,
    work: &'a (dyn Fn(usize) + Sync),
    panicked: AtomicBool,
}

extern "C" fn run_member(data: *mut c_void) {
    // SAFETY: `data` is the `Job` that `on_team` keeps alive until GOMP_parallel returns.
    let job = unsafe { &*(data as *const Job) };
    // SAFETY: called inside the parallel region that GOMP_parallel opened.
    let (id, size) = unsafe { ((job.gomp.thread_num)(), (job.gomp.num_threads)()) };
    let (id, size) = (id.max(0) as usize, size.max(1) as usize);
    // the team may be smaller than asked for: each member takes every size-th part
    let result = catch_unwind(AssertUnwindSafe(|| {
        (id..job.parts).step_by(size).for_each(job.work)
    }));
    if result.is_err() {
        job.panicked.store(true, Ordering::Relaxed);
    }
}

fn on_team(gomp: Gomp, parts: usize, threads: usize, work: &(dyn Fn(usize) + Sync)) {
    let job = Job {
        gomp,
        parts,
        work,
        panicked: AtomicBool::new(false),
    };
    // SAFETY: `run_member` matches GOMP_parallel's callback type and unwinds no panic across
    // the C boundary; `job` outlives the call, which returns after every member finished.
    unsafe {
        (gomp.parallel)(
            run_member,
            &job as *const Job as *mut c_void,
            threads as c_uint,
            0,
        )
    };
    assert!(
        !job.panicked.load(Ordering::Relaxed),
        "a worker of the OpenMP team panicked"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Mutex;

    #[test]
    fn every_part_runs_once_on_as_many_threads_as_asked() {
        // linked with libtorch, the test binary has libgomp
        assert!(uses_openmp(), "libgomp not found in the process");
        for (parts, threads) in [(0, 2), (1, 2), (7, 2), (64, 3), (5, 1)] {
            let counts: Vec<AtomicUsize> = (0..parts).map(|_| AtomicUsize::new(0)).collect();
            let seen = Mutex::new(std::collections::HashSet::new());
            for_each_part(parts, threads, &|p| {
                counts[p].fetch_add(1, Ordering::Relaxed);
                seen.lock().unwrap().insert(std::thread::current().id());
            });
            assert!(counts.iter().all(|c| c.load(Ordering::Relaxed) == 1));
            let used = seen.lock().unwrap().len();
            assert!(
                used <= threads.min(parts.max(1)),
                "{used} threads for {threads}"
            );
            if parts >= 7 && threads > 1 {
                assert!(used > 1, "the team did not share the work");
            }
        }
    }

    #[test]
    fn a_panic_in_the_work_is_raised_in_the_caller() {
        let caught = std::panic::catch_unwind(|| {
            for_each_part(8, 2, &|p| {
                if p == 5 {
                    panic!("part 5");
                }
            })
        });
        assert!(caught.is_err());
    }
}
