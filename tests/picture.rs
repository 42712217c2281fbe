//! The pictures' public API: charts as SVG (text, axes, legend) and PNG (size, colours), and
//! image grids (tile sizes, pixels, labels). Charts and grids are drawn by plotters with the
//! compiled-in DejaVu font.
use dpgan::picture::{encode_labelled_grid, grid_size, palette, Marker, Plot, Series, Style};
use dpgan::picture::{write_labelled_grid_png, MIN_TILE};
use tch::{Device, Kind, Tensor};

/// Pixels between grid tiles.
const GAP: usize = 2;

/// An ROC-like chart on a log axis: a curve, a bound with its shaded region, a mean with
/// spread bars, the diagonal.
fn roc_like() -> Plot {
    let mut plot = Plot::new("Attacks ε", "false-positive rate", "true-positive rate");
    (plot.log_x, plot.diagonal) = (true, true);
    (plot.x_range, plot.y_range) = (Some((1e-3, 1.0)), Some((0.0, 1.0)));
    let curve = vec![
        (1e-4, 0.0),
        (1e-3, 0.01),
        (0.01, 0.05),
        (0.1, 0.3),
        (1.0, 1.0),
    ];
    plot.series.push(Series::new(
        "attack A (AUC 0.61)",
        curve,
        palette(0),
        Style::Line,
    ));
    let fpr = (0..=30).map(|i| 10f64.powf(-3.0 + 0.1 * f64::from(i)));
    let bound = fpr.map(|f| (f, (f * 5.0).min(1.0))).collect();
    plot.series
        .push(Series::new("DP bound", bound, [0, 0, 0], Style::Bound));
    let mean = vec![(0.01, 0.5), (0.1, 0.6)];
    let mut s = Series::new("mean over seeds", mean, palette(1), Style::LineWithMarkers);
    (s.spread, s.marker) = (vec![(0.4, 0.6), (0.55, 0.7)], Marker::Cross);
    plot.series.push(s);
    plot
}

/// The texts an SVG draws.
fn texts(svg: &str) -> Vec<&str> {
    let ends = svg.split("</text>");
    ends.filter_map(|t| Some(t.rsplit_once('>')?.1.trim()))
        .collect()
}

/// A PNG's size, colour type and 8-bit samples.
fn decode(bytes: &[u8]) -> (usize, usize, png::ColorType, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    (
        info.width as usize,
        info.height as usize,
        info.color_type,
        buf,
    )
}

#[test]
fn a_chart_as_svg_holds_its_title_axis_labels_ticks_and_legend() {
    let svg = roc_like().svg(900, 600).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("viewBox=\"0 0 900 600\""));
    let texts = texts(&svg);
    for text in [
        "Attacks ε",
        "false-positive rate",
        "true-positive rate",
        "attack A (AUC 0.61)",
        "DP bound",
        "mean over seeds",
        "y = x (guessing)",
    ] {
        assert!(texts.contains(&text), "{text} missing from {texts:?}");
    }
    // log ticks at the decades, linear ones at round values
    for tick in ["0.001", "0.01", "0.1", "1", "0", "0.2", "0.8"] {
        assert!(texts.contains(&tick), "tick {tick} missing from {texts:?}");
    }
    // the bound's shaded region, and lines (a curve, dashes, spread bars) drawn
    assert!(svg.contains("<polygon") && svg.matches("<polyline").count() > 10);
    // self-contained: no reference to anything outside it
    assert!(!svg.contains("href") && !svg.contains("url("));
}

#[test]
fn log_ticks_fit_the_range() {
    let labels = |lo: f64, hi: f64| -> Vec<String> {
        let mut plot = Plot::new("", "", "");
        (plot.log_x, plot.x_range) = (true, Some((lo, hi)));
        plot.series.push(Series::new(
            "",
            vec![(lo, 0.0), (hi, 1.0)],
            palette(0),
            Style::Line,
        ));
        let svg = plot.svg(900, 600).unwrap();
        // the y ticks (0 to 1 by 0.2) first, then the x ticks
        let drawn = texts(&svg).into_iter().filter(|t| !t.is_empty());
        drawn.skip(6).map(String::from).collect()
    };
    assert_eq!(labels(1e-3, 1.0), ["0.001", "0.01", "0.1", "1"]);
    assert_eq!(labels(0.1, 100.0), ["0.1", "1", "10", "100"]);
    assert_eq!(labels(1.0, 20.0), ["1", "2", "5", "10", "20"]);
    let every_third = [
        "1e-12", "1e-9", "1e-6", "0.001", "1", "1000", "1e6", "1e9", "1e12",
    ];
    assert_eq!(labels(1e-12, 1e12), every_third);
    assert!(labels(3.0, 4.0).len() >= 2, "ticks inside one decade");
}

#[test]
fn a_chart_as_png_has_the_asked_size_and_the_series_colours() {
    let (w, h, color, rgb) = decode(&roc_like().png(900, 600).unwrap());
    assert_eq!((w, h, color), (900, 600, png::ColorType::Rgb));
    let count = |c: [u8; 3]| rgb.chunks(3).filter(|p| *p == c).count();
    assert!(count(palette(0)) > 300 && count(palette(1)) > 100);
    assert!(count([255, 255, 255]) > w * h / 2, "mostly white");
    // dark text (axis labels, ticks, legend) left of the plot and right of it
    let dark = |x0: usize, x1: usize| {
        (0..h).any(|y| (x0..x1).any(|x| rgb[(y * w + x) * 3..][..3].iter().all(|&v| v < 80)))
    };
    assert!(dark(0, 60) && dark(700, 900));
    assert!(roc_like().png(10, 10).is_err() && roc_like().png(100_000, 480).is_err());
}

#[test]
fn awkward_data_draws_without_panicking() {
    let mut far = Plot::new("far", "", "");
    (far.x_range, far.y_range) = (Some((0.0, 1.0)), Some((0.0, 1.0)));
    let huge = vec![(-1e300, -1e300), (0.5, 0.5), (f64::MAX, f64::MIN)];
    far.series
        .push(Series::new("d", huge, palette(0), Style::Dashed));
    let scatter = vec![(1e308, 0.5), (0.5, f64::NAN)];
    far.series
        .push(Series::new("m", scatter, palette(1), Style::Markers));
    let mut empty = Plot::new("empty", "x", "y");
    (empty.log_x, empty.log_y, empty.diagonal) = (true, true, true);
    let mut nan = Plot::new("nan", "x", "y");
    let points = vec![(f64::NAN, 1.0), (-1.0, 2.0)];
    nan.series
        .push(Series::new("s", points, palette(2), Style::Line));
    nan.log_x = true;
    let mut single = Plot::new("single", "", "");
    let same = vec![(2.0, 5.0), (2.0, 5.0)];
    single
        .series
        .push(Series::new("", same, palette(3), Style::Markers));
    for plot in [far, empty, nan, single] {
        plot.png(320, 240).unwrap();
        let no_data = texts(&plot.svg(320, 240).unwrap()).contains(&"no data");
        assert_eq!(
            no_data,
            plot.title == "empty" || plot.title == "nan",
            "{}",
            plot.title
        );
    }
    for (log, range) in [
        (true, (0.0, 1.0)),
        (false, (1.0, 0.0)),
        (false, (0.0, f64::NAN)),
    ] {
        let mut plot = Plot::new("", "", "");
        (plot.log_x, plot.x_range) = (log, Some(range));
        assert!(plot.svg(320, 240).is_err(), "{range:?}");
    }
}

#[test]
fn a_grid_shows_tiles_at_min_tile_pixels_or_more() {
    // Two 4×4 tiles, black and white, through the tensor path.
    let images = Tensor::cat(
        &[
            Tensor::full([1, 1, 4, 4], -1.0, (Kind::Float, Device::Cpu)),
            Tensor::full([1, 1, 4, 4], 1.0, (Kind::Float, Device::Cpu)),
        ],
        0,
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grid.png");
    write_labelled_grid_png(&path, &images, 2, &[]).unwrap();
    let (w, h, color, buf) = decode(&std::fs::read(&path).unwrap());
    // 4 × 4 tiles are shown at 64 × 64 (16 screen pixels per image pixel)
    assert_eq!(
        (w, h, color),
        (2 * 64 + 3 * GAP, 64 + 2 * GAP, png::ColorType::Grayscale)
    );
    let at = |x: usize, y: usize| buf[y * w + x];
    assert_eq!([at(GAP, GAP), at(GAP + 63, GAP + 63)], [0, 0]); // first tile black
    assert_eq!(at(GAP + 64 + GAP, GAP), 255); // second tile white
}

#[test]
fn small_images_are_scaled_up_without_smoothing_and_rows_are_labelled() {
    // a 2 × 2 checkerboard stays a checkerboard of 32 × 32 blocks
    let tile = [-1.0f32, 1.0, 1.0, -1.0];
    let labels = vec!["ε = 10".to_string()];
    let (w, h, _, buf) = decode(&encode_labelled_grid(&[Some(&tile)], 2, 2, 1, &labels).unwrap());
    assert_eq!((w, h), grid_size(1, 2, 2, 1, &labels));
    let left = w - MIN_TILE - 2 * GAP;
    assert!((40..100).contains(&left), "room for the label, {left} px");
    let at = |x: usize, y: usize| buf[y * w + x];
    let (x0, y0) = (left + GAP, GAP);
    assert_eq!([at(x0, y0), at(x0 + 31, y0 + 31)], [0, 0]);
    assert_eq!(
        [at(x0 + 32, y0), at(x0 + 63, y0 + 31), at(x0, y0 + 32)],
        [255, 255, 255]
    );
    // the label is light, anti-aliased text left of the tile, and nothing else is drawn there
    let column: Vec<u8> = (0..h)
        .flat_map(|y| (0..left).map(move |x| (x, y)))
        .map(|(x, y)| at(x, y))
        .collect();
    let lit = column.iter().filter(|&&v| v > 150).count();
    assert!(
        lit > 40 && column.iter().all(|&v| v <= 220),
        "{lit} lit pixels"
    );
    // no labels, no label column
    assert_eq!(grid_size(1, 2, 2, 1, &[]).0, MIN_TILE + 2 * GAP);
}
