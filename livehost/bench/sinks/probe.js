// Measures the viewer page from inside it, on the page's one clock (performance.now()):
// each shown video frame (requestVideoFrameCallback's expectedDisplayTime), the sync pattern's
// flashes (the frame's mean luminance), and the beep onsets heard on the <audio> element's
// stream (an AudioWorklet; context time mapped to performance time by getOutputTimestamp()).
// Beside it, the onsets as the audio track delivers them (MediaStreamTrackProcessor, stamped
// with the AudioData's own time): the moment WebRTC hands the sound on for playing, without Web
// Audio's own buffering, which steps by 10-20 ms now and then on its own.
// Returns a promise that resolves once the audio graph runs.
(async () => {
  const video = document.getElementById("video");
  const audio = document.getElementById("audio");
  const probe = window.probe = { frames: [], flashes: [], beeps: [], trackBeeps: [], errors: [] };

  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 16;
  const g = canvas.getContext("2d", { willReadFrequently: true });
  let bright = false;
  const onFrame = (now, meta) => {
    g.drawImage(video, 0, 0, 16, 16);
    const px = g.getImageData(0, 0, 16, 16).data;
    let sum = 0;
    for (let i = 0; i < px.length; i += 4) sum += px[i] + px[i + 1] + px[i + 2];
    const luma = sum / (3 * 256);
    probe.frames.push(meta.expectedDisplayTime);
    if (luma > 160 && !bright) probe.flashes.push(meta.expectedDisplayTime);
    bright = luma > 160;
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);

  // One onset rule for both listeners: a beep starts only after 0.5 s of quiet, one onset per
  // beep. ``at(i)`` is the time of sample i of the block; the worklet gets this as source.
  function onsets(rate, emit) {
    let quiet = 0;
    return (x, at) => {
      for (let i = 0; i < x.length; i++) {
        if (Math.abs(x[i]) > 0.1) {
          if (quiet > 0.5 * rate) emit(at(i));
          quiet = 0;
        } else {
          quiet++;
        }
      }
    };
  }
  const worklet = `${onsets}
    class Onset extends AudioWorkletProcessor {
      constructor() { super(); this.detect = onsets(sampleRate, t => this.port.postMessage(t)); }
      process(inputs) {
        const x = inputs[0][0];
        if (x) this.detect(x, i => currentTime + i / sampleRate);
        return true;
      }
    }
    registerProcessor("onset", Onset);`;
  while (!(audio.srcObject && audio.srcObject.getAudioTracks().length)) {
    await new Promise(r => setTimeout(r, 50));
  }
  const [track] = audio.srcObject.getAudioTracks();
  if (typeof MediaStreamTrackProcessor === "function") trackOnsets(track);
  const ctx = new AudioContext();
  await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([worklet], { type: "text/javascript" })));
  const node = new AudioWorkletNode(ctx, "onset");
  node.port.onmessage = (event) => {
    const ts = ctx.getOutputTimestamp();
    probe.beeps.push(ts.performanceTime + (event.data - ts.contextTime) * 1000);
  };
  ctx.createMediaStreamSource(audio.srcObject).connect(node);
  node.connect(ctx.destination);  // pulled only when it reaches the output; it outputs silence
  await ctx.resume();
  probe.audioState = ctx.state;

  async function trackOnsets(track) {
    const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
    let detect = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const x = new Float32Array(value.numberOfFrames), rate = value.sampleRate, start = value.timestamp / 1000;
      value.copyTo(x, { planeIndex: 0, format: "f32-planar" });
      value.close();
      detect = detect || onsets(rate, t => probe.trackBeeps.push(t));
      detect(x, i => start + 1000 * i / rate);
    }
  }
})();
