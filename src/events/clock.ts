// CLOCK_BOOTTIME (bpf_ktime_get_boot_ns) -> wall-clock unix ns. The offset is sampled once with
// both clocks read back to back in native code (ClockOffsets in native/src/object.cc); BOOTTIME
// keeps counting through suspend, so the offset only moves when the wall clock is stepped.
import { binding } from '../native/binding';

export class BootClock {
  private constructor(
    /** realtime - boottime at the sampling instant (ns). */
    readonly offsetNs: bigint,
    readonly uncertaintyNs: number,
  ) {}

  static sample(): BootClock {
    const c = binding().clockOffsets();
    return new BootClock(c.realtimeNs - c.boottimeNs, c.uncertaintyNs);
  }

  /** Builds a clock from a known offset (tests, replay). */
  static fromOffset(offsetNs: bigint): BootClock {
    return new BootClock(offsetNs, 0);
  }

  toUnixNs(bootNs: bigint): bigint {
    return bootNs + this.offsetNs;
  }
}
