/** How long a hang line waits for a stack capture already in flight (see CaptureScheduler.onHang). */
export const HANG_CAPTURE_WAIT_MS = 200;
